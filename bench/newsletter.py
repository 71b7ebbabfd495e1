"""
`make bench-newsletter`: one column sent to many confirmed subscribers by ``db_worker``, to an
SMTP sink on 127.0.0.1, with the worker SIGKILLed twice and restarted.

1. creates a fresh PostgreSQL database (BENCH_NEWSLETTER_DATABASE_URL, default database
   ``bench_newsletter``), migrates it, adds BENCH_NEWSLETTER_SUBSCRIBERS (100,000) confirmed
   subscribers in one INSERT and one published column, and queues its send;
2. starts the sink (``bench/smtp_sink.py``, aiosmtpd, on a free port) and ``db_worker``;
3. SIGKILLs the worker when a fifth and then two fifths of the emails have been handed over
   (BENCH_NEWSLETTER_KILLS=N spreads N kills from a tenth to nine tenths instead), and starts a
   new one each time at once;
4. waits for the send to finish (at most BENCH_NEWSLETTER_TIMEOUT seconds, 900);
5. prints emails handed over per second, the worker's memory (VmRSS) from its first sample
   after a batch to its last, and the sink's count: lost, sent twice, and for each delivery
   left in doubt by a kill (``unknown``: recorded as handed over, its reply never read)
   whether the sink has it;
6. stops every process it started and drops the database, whatever happened.

Never imports Django: the setup runs in ``manage.py shell`` children, the counts through psycopg.
"""

import collections
import hashlib
import os
import secrets
import signal
import socket
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from processes import manage, postgres, start, stop  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
SUBSCRIBERS = int(os.environ.get("BENCH_NEWSLETTER_SUBSCRIBERS", "100000"))
TIMEOUT = int(os.environ.get("BENCH_NEWSLETTER_TIMEOUT", "900"))
KILLS = int(os.environ.get("BENCH_NEWSLETTER_KILLS", "0"))
KILL_AT = tuple(0.1 + 0.8 * n / (KILLS - 1) for n in range(KILLS)) if KILLS > 1 else (0.2, 0.4)
BATCH = 100  # NEWSLETTER_BATCH_SIZE's default

SETUP = """
from django.utils import timezone
from qa.models import Answer, Category, Column, Expert, Question, STANDING_INTRO
from qa.newsletter.tasks import newsletter_send_start
category = Category.objects.create(name="Job Interviews", slug="job-interviews")
question = Question.objects.create(
    body="I had a great interview last week. Should I follow up with the interviewer over "
    "Facebook, or is that too much?",
    signature="D", category=category, status="picked",
)
column = Column.objects.create(
    question=question, category=category, week=timezone.localdate(),
    title="Should I Follow Up With An Interviewer Over Facebook?",
    slug="should-i-follow-up", intro=STANDING_INTRO,
    dek="After an interview, it's very important to reach out to the employer.",
    status="published", published_at=timezone.now(),
)
for n, (name, company) in enumerate(
    [("Debra Wheatman", "Careers Done Write"), ("Don Goodman", "About Jobs")]
):
    expert = Expert.objects.create(name=name, company=company, slug=f"expert-{n}")
    Answer.objects.create(
        column=column, expert=expert, headline=f"Headline {n}", status="approved",
        position=n, body="Send a **thank-you note** as soon as you can. " * 12,
    )
newsletter_send_start.enqueue(column_id=column.pk)
print(column.pk)
"""

SUBSCRIBERS_SQL = """
INSERT INTO qa_subscriber (email, status, token, source, requested_at, confirm_digest,
    consented_at, consent_source, consent_sender_hash, suppressed_reason, rejections, updated_at)
SELECT 'reader' || g || '@bench.example', 'confirmed', md5('token' || g) || g, 'import', now(),
    '', now(), 'import', '', '', 0, now()
FROM generate_series(1, %s) AS g
"""


def log(message, started=[]):  # noqa: B006 - the first call's clock, kept between calls
    if not started:
        started.append(time.monotonic())
    print(
        f"[newsletter {time.monotonic() - started[0]:6.1f}s] {message}", file=sys.stderr, flush=True
    )


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(folder, smtp_port):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "NEWSLETTER_"))}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        SITE_URL="https://panel.example",
        DATABASE_URL=os.environ.get(
            "BENCH_NEWSLETTER_DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/bench_newsletter",
        ),
        TASK_BACKEND="django_tasks_db.DatabaseBackend",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        # A killed run's batch is given back after 5 s; the periodic job looks every 3 s.
        NEWSLETTER_LEASE_SECONDS="5",
        PERIODIC_INTERVAL_SECONDS="3",
        STATIC_ROOT=str(folder / "static"),
        MEDIA_ROOT=str(folder / "media"),
        LOG_LEVEL="WARNING",
    )
    env.pop("REDIS_URL", None)
    return env


def rss_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def message_id(column_id, subscriber_id):
    """The Message-ID qa.mail gives the email of ``newsletter.<column>.<subscriber>``."""
    key = f"newsletter.{column_id}.{subscriber_id}"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@panel.example>"


def counts(db):
    rows = db.execute("SELECT status, count(*) FROM qa_delivery GROUP BY status").fetchall()
    return collections.Counter(dict(rows))


def run():
    folder = Path(tempfile.mkdtemp(prefix="bench-newsletter-"))
    smtp_port = int(os.environ.get("BENCH_NEWSLETTER_SMTP_PORT") or free_port())
    env = environment(folder, smtp_port)
    name = urllib.parse.urlparse(env["DATABASE_URL"]).path.lstrip("/")
    sink_file = folder / "received.txt"
    processes = {}
    log(
        f"{SUBSCRIBERS:,} subscribers, database {name}, sink on 127.0.0.1:{smtp_port}, "
        f"logs in {folder}"
    )
    postgres(env, "dropdb", "--if-exists", "--force", name)
    created = postgres(env, "createdb", name)
    if created.returncode:
        raise SystemExit(f"createdb {name} failed: {created.stderr}")
    try:
        manage(env, "migrate", "--no-input")
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as db:
            db.execute(SUBSCRIBERS_SQL, [SUBSCRIBERS])
        column_id = int(manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])
        log(f"migrated; {SUBSCRIBERS:,} confirmed subscribers; column {column_id}'s send queued")
        processes["sink"] = start(
            [PYTHON, str(ROOT / "bench" / "smtp_sink.py"), str(smtp_port), str(sink_file)],
            env,
            folder / "sink.log",
        )
        manage(env, "periodic_start")
        worker_command = [
            PYTHON,
            "manage.py",
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.2",
        ]
        processes["worker"] = start(worker_command, env, folder / "worker.log", mode="a")
        results = watch(env, processes, worker_command, folder)
    finally:
        for process in processes.values():
            stop(process)
        postgres(env, "dropdb", "--if-exists", "--force", name)
    report(results, sink_file)


def watch(env, processes, worker_command, folder):
    """Poll the deliveries, kill the worker twice, sample its memory; until the send is done."""
    deadline = time.monotonic() + TIMEOUT
    kills = list(KILL_AT)
    lives = [[]]  # per worker life: its starting count, then (seconds, handed over, VmRSS KiB)
    first_sent_at = last_sent_at = None
    total = None
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as db:
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = time.monotonic()
            status = counts(db)
            total = sum(status.values()) or None
            handed = status["sent"] + status["unknown"]
            if handed and first_sent_at is None:
                first_sent_at = now
            if handed:
                last_sent_at = now
            rss = rss_kib(processes["worker"].pid)
            if not lives[-1] or lives[-1][0] is None:
                lives[-1] = [handed]  # where this worker's life starts
            elif rss and handed >= lives[-1][0] + BATCH:  # after its first batch
                lives[-1].append((now, handed, rss))
            done = db.execute("SELECT status FROM qa_newslettersend").fetchone()
            if done and done[0] == "done":
                break
            if total and kills and handed >= kills[0] * total:
                kills.pop(0)
                os.kill(processes["worker"].pid, signal.SIGKILL)
                processes["worker"].wait()
                log(f"SIGKILL to the worker at {handed:,} handed over; starting a new one")
                processes["worker"] = start(worker_command, env, folder / "worker.log", mode="a")
                lives.append([])
        else:
            log(f"not finished within {TIMEOUT} s")
        final = counts(db)
        in_doubt = [
            message_id(column_id, subscriber_id)
            for column_id, subscriber_id in db.execute(
                "SELECT s.column_id, d.subscriber_id FROM qa_delivery d "
                "JOIN qa_newslettersend s ON s.id = d.send_id WHERE d.status = 'unknown'"
            ).fetchall()
        ]
    return {
        "final": final,
        "lives": lives,
        "first": first_sent_at,
        "last": last_sent_at,
        "in_doubt": in_doubt,
    }


def report(results, sink_file):
    final = results["final"]
    received = collections.Counter(sink_file.read_text().split()) if sink_file.exists() else {}
    expected = sum(final.values())
    sent, unknown = final["sent"], final["unknown"]
    twice = sum(1 for count in received.values() if count > 1)
    distinct = len(received)
    seconds = (results["last"] or 0) - (results["first"] or 0)
    print("\n## Newsletter send (make bench-newsletter)\n")
    print(f"- subscribers: {expected:,}; deliveries by status: {dict(final)}")
    if seconds > 0:
        print(
            f"- handed over per second, first to last (the kills and restarts included): "
            f"{(sent + unknown) / seconds:,.0f} ({sent + unknown:,} in {seconds:,.0f} s)"
        )
    for n, life in enumerate(results["lives"], 1):
        life = life[1:]
        if len(life) < 2:
            continue
        (t0, h0, r0), (t1, h1, r1) = life[0], life[-1]
        rate = (h1 - h0) / (t1 - t0) if t1 > t0 else 0
        print(
            f"- worker {n}: {h1 - h0:,} handed over in {t1 - t0:,.0f} s ({rate:,.0f}/s); "
            f"VmRSS {r0 / 1024:,.1f} MiB after its first batch, {r1 / 1024:,.1f} MiB at its "
            f"last ({(r1 - r0) / r0:+.1%})"
        )
    print(
        f"- at the sink: {sum(received.values()):,} messages, {distinct:,} distinct Message-IDs; "
        f"lost: {expected - distinct:,}; sent twice: {twice:,}"
    )
    at_sink = sum(1 for key in results["in_doubt"] if key in received)
    print(
        f"- kills: {len(results['lives']) - 1}; left in doubt by a kill (recorded as handed over, "
        f"reply never read; not resent): {unknown:,}, of which the sink has {at_sink:,}"
    )


if __name__ == "__main__":
    run()
