"""
`make smoke`: the real thing, end to end, in production mode on this machine.

1. creates a fresh PostgreSQL database (SMOKE_DATABASE_URL, default database ``smoke``), migrates
   it and collects the static files into a temporary folder;
2. starts gunicorn (gunicorn.conf.py, DJANGO_DEBUG=0) on 127.0.0.1 at a free port, and
   ``db_worker`` with its periodic tick every SMOKE_TICK_SECONDS (5);
3. imports the demo (``load_demo``);
4. runs the demo's collecting column through the services: both experts submit, the editor
   approves both answers and schedules the column one minute ahead;
5. checks the column is not public yet, then waits (at most SMOKE_WAIT_SECONDS, 150) for the
   worker to publish it, and fetches its page, /feed/ and /healthz over HTTP, and every image
   the page links (headshots and their srcsets, an answer's inline image, og:image,
   twitter:image and the JSON-LD image), each of which must be an image;
6. stops every process it started and drops the database, whatever happened.

The schedule step runs in a child process (``smoke.py schedule``) with the same environment,
so this script never imports Django itself.
"""

import datetime
import html.parser
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from processes import manage, postgres, start, stop  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
SCHEDULE_AHEAD = datetime.timedelta(minutes=1)
WAIT_SECONDS = int(os.environ.get("SMOKE_WAIT_SECONDS", "150"))
TICK_SECONDS = os.environ.get("SMOKE_TICK_SECONDS", "5")


def log(message, started=[]):  # noqa: B006 - the first call's clock, kept between calls
    if not started:
        started.append(time.monotonic())
    print(f"[smoke {time.monotonic() - started[0]:5.1f}s] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(folder, port):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_"))}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL=f"https://127.0.0.1:{port}",
        DATABASE_URL=os.environ.get(
            "SMOKE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/smoke"
        ),
        REDIS_URL=os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/0"),
        # Its own key space: other processes on the same Redis never see these pages.
        CACHE_KEY_PREFIX=f"smoke-{secrets.token_hex(4)}",
        TASK_BACKEND="django_tasks_db.DatabaseBackend",
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        PERIODIC_INTERVAL_SECONDS=TICK_SECONDS,
        STATIC_ROOT=str(folder / "static"),
        MEDIA_ROOT=str(folder / "media"),
        LOG_LEVEL="WARNING",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="2",
    )
    return env


def database_name(env):
    return urllib.parse.urlparse(env["DATABASE_URL"]).path.lstrip("/")


def fetch(base, path):
    """(status, text) over HTTP, as the TLS proxy in front would forward it; no redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(base + path, headers={"X-Forwarded-Proto": "https"})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


class ImageLinks(html.parser.HTMLParser):
    """Every image URL a page links: img/source src and srcset, og:image, twitter:image, JSON-LD."""

    def __init__(self):
        super().__init__()
        self.urls = set()
        self.in_json_ld = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("img", "source"):
            if attrs.get("src"):
                self.urls.add(attrs["src"])
            for candidate in (attrs.get("srcset") or "").split(","):
                if candidate.strip():
                    self.urls.add(candidate.split()[0])
        if tag == "meta" and attrs.get("property", attrs.get("name")) in (
            "og:image",
            "twitter:image",
        ):
            self.urls.add(attrs.get("content", ""))
        self.in_json_ld = tag == "script" and attrs.get("type") == "application/ld+json"

    def handle_endtag(self, tag):
        self.in_json_ld = False

    def handle_data(self, data):
        if self.in_json_ld and data.strip():
            self._json_images(json.loads(data))

    def _json_images(self, node):
        if isinstance(node, list):
            for item in node:
                self._json_images(item)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key in ("image", "logo") and isinstance(value, str):
                    self.urls.add(value)
                elif key in ("image", "logo") and isinstance(value, dict) and "url" in value:
                    self.urls.add(value["url"])
                else:
                    self._json_images(value)


def fetch_head(base, path):
    """(status, Content-Type, body length) of ``path``, as fetch() reaches it."""
    request = urllib.request.Request(base + path, headers={"X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.headers.get("Content-Type", ""), len(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), 0


def check_images(base, site_url, page):
    """Fetch every image the page links; each must answer 200 with an image type."""
    parser = ImageLinks()
    parser.feed(page)
    urls = sorted(url for url in parser.urls if url)
    expect(urls, "the column page links no image")
    for url in urls:
        expect(
            url.startswith("/") or url.startswith(site_url),
            f"{url} is on neither the site's address nor a path",
        )
        path = url.removeprefix(site_url)
        # The share image is drawn by the worker after publishing: give it a moment.
        deadline = time.monotonic() + 60
        status, content_type, size = fetch_head(base, path)
        while status == 404 and "/share/" in path and time.monotonic() < deadline:
            time.sleep(1)
            status, content_type, size = fetch_head(base, path)
        expect(
            status == 200 and content_type.startswith("image/") and size > 0,
            f"{url} answered {status} {content_type} ({size} bytes)",
        )
    return urls


def wait_for(check, *, seconds, what, processes=()):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for name, process in processes:
            if process.poll() is not None:
                raise SystemExit(f"{name} exited with {process.returncode} while waiting {what}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit(f"gave up after {seconds}s waiting {what}")


def expect(condition, message):
    if not condition:
        raise SystemExit(f"FAILED: {message}")


def run():
    port = int(os.environ.get("SMOKE_PORT") or free_port())
    base = f"http://127.0.0.1:{port}"
    folder = Path(tempfile.mkdtemp(prefix="smoke-"))
    env = environment(folder, port)
    name = database_name(env)
    processes = []
    started = time.monotonic()
    log(f"database {name}, Redis {env['REDIS_URL']}, port {port}, logs in {folder}")
    postgres(env, "dropdb", "--if-exists", "--force", name)
    created = postgres(env, "createdb", name)
    if created.returncode:
        raise SystemExit(f"createdb {name} failed: {created.stderr}")
    try:
        collect = subprocess.Popen(
            [PYTHON, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
            cwd=ROOT,
            env=env,
        )
        processes.append(("collectstatic", collect))
        manage(env, "migrate", "--no-input")
        if collect.wait():
            raise SystemExit("collectstatic failed")
        processes.remove(("collectstatic", collect))  # done: the waits below watch servers
        log("migrated, static files collected; starting gunicorn and db_worker")
        web = start([GUNICORN, "-c", "gunicorn.conf.py", "panel.wsgi"], env, folder / "web.log")
        processes.append(("gunicorn", web))
        worker = start(
            [PYTHON, "manage.py", "worker", "--interval", "1"],
            env,
            folder / "worker.log",
        )
        processes.append(("db_worker", worker))
        manage(env, "periodic_start")
        wait_for(
            lambda: fetch(base, "/healthz")[0] == 200,
            seconds=60,
            what="for gunicorn",
            processes=processes,
        )
        manage(env, "load_demo")
        log("demo loaded; submitting, approving and scheduling its column")
        result = subprocess.run(
            [PYTHON, str(Path(__file__).resolve()), "schedule"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise SystemExit(f"scheduling failed:\n{result.stdout}{result.stderr}")
        column = json.loads(result.stdout.strip().splitlines()[-1])
        path = f"/columns/{column['slug']}/"
        log(f"scheduled {path} for {column['publish_at']}")
        expect(fetch(base, path)[0] == 404, f"{path} is public before its time")

        wait_for(
            lambda: fetch(base, path)[0] == 200,
            seconds=WAIT_SECONDS,
            what=f"for the worker to publish {path}",
            processes=processes,
        )
        log(f"published by the worker: {path}")
        status, page = fetch(base, path)
        expect(status == 200 and column["title"] in page, f"{path} lacks its title")
        expect(all(name in page for name in column["experts"]), f"{path} lacks an expert")
        images = check_images(base, env["SITE_URL"], page)
        expect(
            any("/headshots/" in url for url in images)
            and any("/answers/" in url for url in images)
            and any("/share/" in url for url in images),
            f"the page lacks a headshot, an answer image or its share image: {images}",
        )
        log(f"{len(images)} image URLs the page links, each served as an image")
        status, feed = fetch(base, "/feed/")
        expect(status == 200, f"/feed/ answered {status}")
        expect(path in feed and column["title"] in feed, "/feed/ does not list the column")
        status, health = fetch(base, "/healthz")
        expect(status == 200 and health == "ok", f"/healthz answered {status} {health!r}")
        elapsed = time.monotonic() - started
        log(f"page, feed and health check served; smoke passed in {elapsed:.0f}s")
    finally:
        for _name, process in reversed(processes):
            stop(process)
        dropped = postgres(env, "dropdb", "--if-exists", "--force", name)
        if dropped.returncode:
            log(f"dropdb {name} failed: {dropped.stderr.strip()}")
        log(f"stopped {len(processes)} processes, dropped {name}")


def schedule():
    """In the smoke's environment: take the demo's column through the week to 'scheduled'."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")
    import django

    django.setup()

    import io

    from django.contrib.auth import get_user_model
    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone
    from PIL import Image

    from qa.demo import COLLECTING_QUESTION, EDITOR
    from qa.images import headshot_reencode, inline_image_reencode
    from qa.models import Column
    from qa.services import answer_approve, answer_submit, column_schedule

    editor = get_user_model().objects.get(username=EDITOR["username"])
    column = Column.objects.get(question__body=COLLECTING_QUESTION)
    answers = list(column.answers.select_related("expert__user").order_by("position"))

    def upload(name, colour):
        buffer = io.BytesIO()
        Image.new("RGB", (400, 400), colour).save(buffer, "JPEG")
        return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")

    # An uploaded headshot and an answer image, as the admin and markdownx store them.
    expert = answers[0].expert
    expert.headshot = headshot_reencode(upload("face.jpg", (180, 90, 60)))
    expert.save()
    figure = inline_image_reencode(upload("figure.jpg", (20, 60, 120)))
    figure = default_storage.save(f"answers/{figure.name}", figure)
    for number, answer in enumerate(answers):
        answer_submit(
            answer=answer,
            headline=f"{answer.expert.name} on gaps",
            body="Say what you did in those two years, briefly and without apology."
            + (f"\n\n![A timeline]({default_storage.url(figure)})" if number == 0 else ""),
            version=answer.version,
            by=answer.expert.user,
        )
    for answer in answers:
        answer_approve(answer=answer, by=editor)
    column = column_schedule(column=column, publish_at=timezone.now() + SCHEDULE_AHEAD, by=editor)
    print(
        json.dumps(
            {
                "slug": column.slug,
                "title": column.title,
                "publish_at": column.publish_at.isoformat(),
                "experts": [answer.expert.name for answer in answers],
            }
        )
    )


if __name__ == "__main__":
    schedule() if sys.argv[1:] == ["schedule"] else run()
