"""
Faults on a PostgreSQL of the test's own: a second cluster (pg_createcluster) on a port of its
own, created, restarted under a running worker, and dropped by the test. The worker must log,
wait and carry on; an email enqueued after the restart must still go out, once.

Slow (a cluster is created and a database migrated): run by ``make security``. Needs Debian's
postgresql-common tools (pg_createcluster), as root; skipped without them.
"""

import contextlib
import os
import secrets
import shutil
import subprocess
import threading
import time

import pytest

from .processes import GUNICORN, PYTHON, ROOT, free_port, process, wait_for
from .test_production import WEB_PORT, SMTPServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not shutil.which("pg_createcluster") or os.geteuid() != 0,
        reason="needs Debian's pg_createcluster, run as root",
    ),
]


def run(*args, check=True, timeout=120):
    return subprocess.run(args, capture_output=True, text=True, check=check, timeout=timeout)


@pytest.fixture(scope="module")
def own_postgres():
    """A cluster of this test's own, on SECURITY_PG_PORT (or a free port); always dropped."""
    version = sorted(os.listdir("/usr/lib/postgresql"))[-1]
    port = int(os.environ.get("SECURITY_PG_PORT") or free_port())
    name = f"faults{port}"
    run("pg_dropcluster", "--stop", version, name, check=False)  # left over from a killed run
    run(
        "pg_createcluster", version, name, "-p", str(port), "--start",
        "--", "--auth-local=trust", "--auth-host=trust",
    )  # fmt: skip
    try:
        run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "panel")
        yield {
            "version": version,
            "name": name,
            "url": f"postgres://postgres@127.0.0.1:{port}/panel",
        }
    finally:
        run("pg_dropcluster", "--stop", version, name, check=False)


def cluster(own, action):
    run("pg_ctlcluster", "--skip-systemctl-redirect", own["version"], own["name"], action,
        *(["-m", "fast"] if action == "stop" else []))  # fmt: skip


@pytest.fixture
def smtp():
    port = free_port()
    server = SMTPServer(port)
    server.port = port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def env(own_postgres, smtp, tmp_path):
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="panel.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=own_postgres["url"],
        DATABASE_CONN_MAX_AGE="0",
        MEDIA_ROOT=str(tmp_path / "media"),
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),
        WORKER_MAX_BACKOFF_SECONDS="2",
        PERIODIC_INTERVAL_SECONDS="2",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    environment.pop("REDIS_URL", None)
    if not own_postgres.get("migrated"):  # once per cluster: the tests share its database
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=ROOT, env=environment, check=True, timeout=300,
        )  # fmt: skip
        own_postgres["migrated"] = True
    return environment


def enqueue_email(env, key):
    subprocess.run(
        [PYTHON, "manage.py", "shell", "-c",
         "from django.db import transaction\n"
         "from qa.emails import email_enqueue\n"
         "with transaction.atomic():\n"
         f"    email_enqueue(key={key!r}, to='reader@example.com', subject='Hello',\n"
         "                  template='question_received', context={'signature': 'D'})"],
        cwd=ROOT, env=env, check=True, timeout=180,
    )  # fmt: skip


def test_the_worker_outlives_a_database_restart(own_postgres, env, smtp, tmp_path):
    log = tmp_path / "worker.log"
    with process([PYTHON, "manage.py", "worker", "--interval", "0.2"], env, log) as worker:
        enqueue_email(env, "before-restart")
        wait_for(lambda: len(smtp.received) == 1, timeout=180, what="the first email")

        cluster(own_postgres, "stop")
        wait_for(
            lambda: "Database unavailable" in log.read_text(),
            timeout=180,
            what="the worker to notice the outage",
        )
        time.sleep(5)  # several tries with backoff, while the database stays down
        assert worker.poll() is None, log.read_text()[-2000:]
        cluster(own_postgres, "start")

        wait_for(
            lambda: "Database reachable again" in log.read_text(),
            timeout=180,
            what="the worker to carry on",
        )
        enqueue_email(env, "after-restart")
        wait_for(lambda: len(smtp.received) == 2, timeout=180, what="the email after the restart")
        assert worker.poll() is None
    text = log.read_text()
    tries = text.count("Database unavailable")
    print(f"\nDatabase restarted under the worker: {tries} logged tries, 2 emails, still running")
    assert tries >= 2
    assert len({data for _to, data in smtp.received}) == 2


def test_questions_with_redis_down_go_ahead_at_once(own_postgres, env, tmp_path):
    """
    gunicorn on the test's cluster with REDIS_URL pointing at a port nobody listens on: every
    question is kept, and the duplicate lock fails open at once with one warning per question
    (it used to poll 60 times, 3 s per question). The same run with Redis up is printed beside.
    """
    from bench.askform import form_fields

    from .test_production import _answers, http

    subprocess.run(
        [PYTHON, "manage.py", "shell", "-c",
         "from qa.models import Category\n"
         "Category.objects.get_or_create(slug='job-interviews', name='Job Interviews')"],
        cwd=ROOT, env=env, check=True, timeout=180,
    )  # fmt: skip
    collected = tmp_path / "static"
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT, env={**env, "STATIC_ROOT": str(collected)}, check=True, timeout=120,
    )  # fmt: skip
    timings = {}
    for label, redis_url in (
        ("Redis down", f"redis://127.0.0.1:{free_port()}/0"),
        ("Redis up", os.environ.get("REDIS_URL")),
    ):
        if not redis_url:
            continue
        web_env = {
            **env,
            "REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": f"faults-{secrets.token_hex(4)}",
            "STATIC_ROOT": str(collected),
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "ASK_MIN_SECONDS": "0",
            "ASK_RATE_LIMIT_PER_HOUR": "100",
            "WEB_CONCURRENCY": "1",
            "PORT": str(WEB_PORT),
            "GUNICORN_ACCESS_LOG": "",
            "LOG_LEVEL": "WARNING",
        }
        log = tmp_path / f"web-{label.replace(' ', '-')}.log"
        with process([GUNICORN, "-c", "gunicorn.conf.py", "panel.wsgi"], web_env, log):
            wait_for(lambda: _answers("/healthz"), timeout=180, what="gunicorn")
            seconds = []
            for number in range(5):
                status, headers, html = http("/ask/")
                assert status == 200, html[:300]
                cookie = headers.get("Set-Cookie", "").split(";", 1)[0]
                fields = {
                    **form_fields(html),
                    "body": f"{label} {number}: how do I ask for the raise I was promised?",
                    "email": f"reader{number}@faults.example",
                    "consent": "on",
                }
                started = time.monotonic()
                status, headers, body = http("/ask/", data=fields, headers={"Cookie": cookie})
                seconds.append(time.monotonic() - started)
                assert status == 302 and "/questions/" in headers.get("Location", ""), body[:500]
        text = log.read_text()
        timings[label] = sorted(seconds)[len(seconds) // 2]
        if label == "Redis down":
            assert text.count("went ahead without its duplicate lock") == 5, text[-3000:]
            assert "still held" not in text
    print(
        "\nQuestions through gunicorn, median POST: "
        + ", ".join(f"{label} {value * 1000:.0f} ms" for label, value in timings.items())
    )


def test_an_upload_onto_a_full_disk_is_507_and_leaves_nothing(db, tmp_path, settings, client):
    """A real full filesystem: a 256 kB tmpfs, filled, as the media folder."""
    from django.core.files.storage import default_storage

    from .factories import ExpertUserFactory
    from .published import jpeg_upload

    mount = tmp_path / "media"
    mount.mkdir()
    if run("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount), check=False).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        (mount / "filler").write_bytes(b"x" * (256 * 1024 - 8 * 1024))
        with contextlib.suppress(OSError), open(mount / "filler2", "wb") as rest:
            rest.write(b"x" * (64 * 1024))
        before = sorted(p.name for p in mount.rglob("*") if p.is_file())
        settings.MEDIA_ROOT = mount
        assert str(default_storage.location) == str(mount)
        expert = ExpertUserFactory(username="fulldisk")
        client.force_login(expert)
        upload = jpeg_upload(size=(1600, 1600))
        response = client.post("/markdownx/upload/", {"image": upload})
        after = sorted(p.name for p in mount.rglob("*") if p.is_file())
        print(f"\nUpload onto a full disk: {response.status_code}, {response.json()}")
        assert response.status_code == 507
        assert after == before
    finally:
        run("umount", str(mount), check=False)
