"""
The production processes under load and failure, on PostgreSQL: gunicorn taking 200 questions
at once, and a real ``manage.py db_worker`` killed with SIGKILL in the middle of publishing and
in the middle of sending an email.

Slow (processes start, static files are collected): run by ``make security``, skipped unless
DATABASE_URL is PostgreSQL. Every wait is bounded, and every process started is stopped.
"""

import datetime
import os
import random
import secrets
import signal
import socket
import socketserver
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie

import pytest
from django.db import connection
from django.utils import timezone

from qa.models import Answer, Column, Dispatch, Question
from qa.periodic import tasks_reclaim_stalled

from .factories import AnswerFactory, CategoryFactory, ColumnFactory, ExpertUserFactory
from .processes import GUNICORN, PYTHON, ROOT, process, wait_for

WEB_PORT = int(os.environ.get("SECURITY_WEB_PORT", "8017"))
SMTP_PORT = int(os.environ.get("SECURITY_SMTP_PORT", "8007"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (DATABASE_URL): the processes share the test database",
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_roles"),
]


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    return tmp_path_factory.mktemp("static")


@pytest.fixture
def production_env(static_root, tmp_path):
    """A production process's environment over the test database."""
    settings_dict = connection.settings_dict
    database = (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}@"
        f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/"
        f"{settings_dict['NAME']}"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="panel.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DATABASE_URL=database,
        STATIC_ROOT=str(static_root),
        MEDIA_ROOT=str(tmp_path / "media"),
        TRUSTED_PROXY_HEADER="HTTP_X_FORWARDED_FOR",
        ASK_MIN_SECONDS="0",
        LOG_LEVEL="WARNING",
        GUNICORN_ACCESS_LOG="",
        PYTHONUNBUFFERED="1",
    )
    if not (static_root / "staticfiles.json").exists():
        subprocess.run(
            [PYTHON, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
        )
    return env


def http(path, *, data=None, headers=None):
    request = urllib.request.Request(  # noqa: S310 (our own server on 127.0.0.1)
        f"http://127.0.0.1:{WEB_PORT}{path}",
        data=urllib.parse.urlencode(data).encode() if data is not None else None,
        headers=headers or {},
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode(errors="replace")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# -- 200 readers at once --------------------------------------------------------------------


def reader_form(address):
    """GET /ask/ as a reader at ``address``: the served fields and the CSRF cookie."""
    from bench.askform import form_fields

    status, headers, html = http("/ask/", headers={"X-Forwarded-For": address})
    assert status == 200, html[:500]
    cookie = SimpleCookie()
    for header in headers.get_all("Set-Cookie") or []:
        cookie.load(header)
    return form_fields(html), f"csrftoken={cookie['csrftoken'].value}"


def test_two_hundred_questions_at_once_from_two_hundred_addresses(production_env, tmp_path):
    CategoryFactory(name="Job Interviews", slug="job-interviews")
    env = {**production_env, "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "8"}
    env["PORT"] = str(WEB_PORT)
    # Fresh addresses each run: the rate limit in Redis outlives the test database.
    prefix = f"10.{random.randrange(256)}"  # noqa: S311
    addresses = [f"{prefix}.{n // 250}.{n % 250 + 1}" for n in range(200)]
    with process([GUNICORN, "-c", "gunicorn.conf.py", "panel.wsgi"], env, tmp_path / "web.log"):
        wait_for(lambda: _answers("/healthz"), timeout=60, what="gunicorn")
        with ThreadPoolExecutor(max_workers=20) as pool:
            forms = list(pool.map(reader_form, addresses))
        barrier = threading.Barrier(len(addresses), timeout=60)

        def send(index):
            fields, cookie = forms[index]
            fields = {
                **fields,
                "body": f"Reader {index}: how do I ask for the raise I was promised last spring?",
                "email": f"reader{index}@load.example",
                "consent": "on",
            }
            barrier.wait()
            status, headers, body = http(
                "/ask/",
                data=fields,
                headers={"X-Forwarded-For": addresses[index], "Cookie": cookie},
            )
            return status, headers.get("Location", ""), body[:300]

        with ThreadPoolExecutor(max_workers=len(addresses)) as pool:
            outcomes = list(pool.map(send, range(len(addresses))))
    errors = [o for o in outcomes if o[0] != 302 or "/questions/" not in o[1]]
    bodies = set(Question.objects.values_list("body", flat=True))
    lost = [n for n in range(200) if not any(b.startswith(f"Reader {n}:") for b in bodies)]
    print(
        f"\nConcurrent questions through gunicorn: {len(outcomes)} sent, "
        f"{Question.objects.count()} rows, {len(lost)} lost, {len(errors)} errors"
    )
    assert errors == []
    assert lost == []
    assert Question.objects.count() == 200
    assert Question.objects.filter(status=Question.Status.NEW).count() == 200


def _answers(path):
    try:
        return http(path)[0] == 200
    except OSError:
        return False


# -- the worker killed mid-task --------------------------------------------------------------


class SMTPServer(socketserver.ThreadingTCPServer):
    """
    Just enough SMTP to receive the worker's emails. With ``hold`` set, the next message is kept
    waiting for its "250" until ``release``; a message whose sender died meanwhile is dropped,
    as a real server drops a message it never acknowledged.
    """

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port):
        super().__init__(("127.0.0.1", port), SMTPHandler)
        self.received = []
        self.hold = threading.Event()
        self.held = threading.Event()
        self.release = threading.Event()
        # With ``hold_quit`` set, the client's QUIT after an accepted message waits for
        # ``release``: the sender is stuck after the hand-over, before it records the outcome.
        self.hold_quit = threading.Event()
        self.quit_held = threading.Event()


class SMTPHandler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 test SMTP")
        recipients = []
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                self.reply("354 go on")
                data = []
                while (part := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    data.append(part)
                if self.server.hold.is_set():
                    self.server.hold.clear()
                    self.server.held.set()
                    self.server.release.wait(timeout=60)
                    if not self._sender_alive():
                        return
                self.server.received.append((tuple(recipients), b"".join(data)))
                recipients = []
                self.reply("250 queued")
            elif verb == b"RCPT":
                recipients.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                self.reply("250 ok")
            elif verb == b"QUIT":
                if self.server.hold_quit.is_set() and self.server.received:
                    self.server.hold_quit.clear()
                    self.server.quit_held.set()
                    self.server.release.wait(timeout=60)
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")

    def _sender_alive(self):
        self.connection.settimeout(0.5)
        try:
            return self.connection.recv(1, socket.MSG_PEEK) != b""
        except TimeoutError:
            return True
        except OSError:
            return False


@pytest.fixture
def smtp():
    server = SMTPServer(SMTP_PORT)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def waiting_locks():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


def test_a_worker_killed_mid_task_publishes_once_and_emails_once(
    production_env, smtp, tmp_path, settings
):
    editor_env = {
        **production_env,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(SMTP_PORT),
        "EMAIL_TIMEOUT": "30",
    }
    expert_a, expert_b = ExpertUserFactory(username="alice"), ExpertUserFactory(username="bob")
    column = ColumnFactory(
        status=Column.Status.SCHEDULED,
        week=None,
        publish_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    AnswerFactory(column=column, expert=expert_a.expert, status=Answer.Status.APPROVED)
    AnswerFactory(column=column, expert=expert_b.expert, status=Answer.Status.APPROVED)
    subprocess.run(
        [
            PYTHON,
            "manage.py",
            "shell",
            "-c",
            "from qa.periodic import tick_schedule; tick_schedule(delay=0)",
        ],
        cwd=ROOT,
        env=editor_env,
        check=True,
        timeout=60,
    )
    worker = [PYTHON, "manage.py", "db_worker", "--no-reload", "--interval", "0.2",
              "--no-startup-delay"]  # fmt: skip
    settings.TASK_LEASE_SECONDS = 0
    faults = 0

    # 1. Killed while publishing: the column row is changed, its history row cannot be
    #    written yet (the table is locked from here), and the process dies.
    lock = connection.cursor()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
    try:
        lock.execute("LOCK TABLE qa_transition IN SHARE MODE")
        with process(worker, editor_env, tmp_path / "worker1.log") as child:
            wait_for(lambda: waiting_locks() > 0, timeout=60, what="the worker to be publishing")
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(timeout=10)
            faults += 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ROLLBACK")
    assert Column.objects.get(pk=column.pk).status == Column.Status.SCHEDULED
    assert tasks_reclaim_stalled() == 1

    # 2. Killed while sending the first email: the SMTP server has the message but never
    #    said it was accepted. The row was marked as being handed over: it is resolved as
    #    uncertain and never sent again (at most once), so that email is lost, not doubled.
    smtp.hold.set()
    with process(worker, editor_env, tmp_path / "worker2.log") as child:
        assert smtp.held.wait(timeout=60), "the worker never sent an email"
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        faults += 1
    smtp.release.set()
    assert Column.objects.get(pk=column.pk).status == Column.Status.PUBLISHED
    assert tasks_reclaim_stalled() == 1

    # 3. A healthy worker finishes the queue and stops (the hand-over's lease is over).
    healthy_env = {**editor_env, "EMAIL_SENDING_LEASE_SECONDS": "0"}
    with process([*worker, "--batch"], healthy_env, tmp_path / "worker3.log") as child:
        child.wait(timeout=120)
    recipients = sorted(to for message in smtp.received for to in message[0])
    uncertain = Dispatch.objects.filter(sent_at__isnull=True, sending_at__isnull=False)
    print(
        f"\nWorker killed mid-task: {faults} SIGKILLs, {len(smtp.received)} emails received, "
        f"{uncertain.count()} uncertain (not resent), "
        f"{column.transitions.filter(action='column_publish').count()} publication"
    )
    assert column.transitions.filter(action="column_publish").count() == 1
    everyone = sorted([column.question.email, expert_a.email, expert_b.email])
    assert len(recipients) == len(set(recipients)) == 2  # none twice; the killed one not resent
    assert set(recipients) < set(everyone)
    assert Dispatch.objects.filter(sent_at__isnull=False).count() == 2
    assert uncertain.count() == 1
    assert uncertain.get().to == (set(everyone) - set(recipients)).pop()
    assert "not sent again" in uncertain.get().last_error
    assert Dispatch.objects.filter(sent_at__isnull=True, sending_at__isnull=True).count() == 0


def test_a_worker_killed_after_the_server_accepted_never_sends_it_again(
    production_env, smtp, tmp_path, settings
):
    """
    The kill that used to double an email: the server has said 250, the worker is waiting for
    the reply to QUIT, and it dies before recording ``sent_at``. The reclaimed task finds the
    row still marked as being handed over and resolves it as uncertain: one email, not two.
    """
    env = {
        **production_env,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(SMTP_PORT),
        "EMAIL_TIMEOUT": "30",
        "SITE_URL": "https://panel.example.com",
    }
    subprocess.run(
        [PYTHON, "manage.py", "shell", "-c",
         "from django.db import transaction\n"
         "from qa.emails import email_enqueue\n"
         "with transaction.atomic():\n"
         "    email_enqueue(key='kill-after-250:1', to='reader@example.com',\n"
         "                  subject='Your question', template='question_received',\n"
         "                  context={'signature': 'D'})"],
        cwd=ROOT, env=env, check=True, timeout=60,
    )  # fmt: skip
    worker = [PYTHON, "manage.py", "db_worker", "--no-reload", "--interval", "0.2",
              "--no-startup-delay"]  # fmt: skip
    settings.TASK_LEASE_SECONDS = 0
    smtp.hold_quit.set()
    with process(worker, env, tmp_path / "worker1.log") as child:
        assert smtp.quit_held.wait(timeout=60), "the worker never sent the email"
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    smtp.release.set()
    assert len(smtp.received) == 1
    row = Dispatch.objects.get(key="kill-after-250:1")
    assert row.sent_at is None and row.sending_at is not None  # the outcome never recorded
    assert tasks_reclaim_stalled() == 1

    healthy = {**env, "EMAIL_SENDING_LEASE_SECONDS": "0"}
    with process([*worker, "--batch"], healthy, tmp_path / "worker2.log") as child:
        child.wait(timeout=120)
    row.refresh_from_db()
    print(
        f"\nWorker killed after the server's 250: {len(smtp.received)} email received, "
        f"row resolved as: {row.last_error[:60]}…"
    )
    assert len(smtp.received) == 1
    assert row.sent_at is None and row.retry_at is None and "not sent again" in row.last_error
    (message,) = [data for _to, data in smtp.received]
    assert b"Message-ID: <" in message and b"@panel.example.com>" in message
    assert b"Auto-Submitted: auto-generated" in message
