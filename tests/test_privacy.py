"""
Erasure that erases, the retention policy, the reader's download, and logs without readers.

The fast tests run on any database and cache. ``test_nothing_of_the_reader_remains_*`` run on
PostgreSQL with Redis and the database task backend (``make security``): after the reader's
(or an editor's, or the retention job's) erasure, a full ``pg_dump`` and every value in Redis
hold none of the reader's name, email, signature, question word or status token.
"""

import datetime
import json
import logging
import os
import re
import secrets
import shutil
import subprocess
import time

import pytest
import time_machine
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client

from qa import similar
from qa.forms import started_token
from qa.models import Column, Dispatch, Question
from qa.periodic import jobs_run
from qa.privacy import retention_run
from qa.services import (
    answer_approve,
    answer_submit,
    column_invite,
    column_pick,
    column_publish,
    question_decline,
    question_erase,
)

from .factories import CategoryFactory, ExpertUserFactory

ASK = "/ask/"

# Emails leave after commit, and pg_dump reads what is committed: real transactions.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("committed_roles")]


class Reader:
    """A reader whose every detail is unique, so finding it anywhere means it leaked."""

    def __init__(self):
        tag = secrets.token_hex(4)
        self.name = f"Quintessa Vandermolen{tag}"
        self.email = f"quintessa.{tag}@reader.example"
        self.signature = f"Puzzled{tag} in Peoria"
        self.word = f"zyxquorble{tag}"
        self.body = (
            f"My manager keeps talking about {self.word} in every interview debrief, "
            "and I do not know whether I should follow up by email or wait a week."
        )
        self.token = None

    def strings(self):
        found = [self.name, self.email, self.signature, self.word]
        return found + ([self.token] if self.token else [])

    def ask(self, client, category, **extra):
        response = client.post(
            ASK,
            {
                "body": self.body,
                "category": category.pk,
                "signature": self.signature,
                "name": self.name,
                "email": self.email,
                "consent": "on",
                "website": "",
                # A form of its own (under a frozen clock, two equal timestamps are one form).
                "started": started_token(at=time.time() - 60 - secrets.randbelow(10**6) / 1e7),
                **extra,
            },
        )
        assert response.status_code == 302, response
        self.token = re.fullmatch(r"/questions/([\w-]+)/sent/", response["Location"]).group(1)
        return Question.objects.get(token=self.token)


def open_queue(editor):
    client = Client()
    client.force_login(editor)
    response = client.get("/admin/qa/question/")
    assert response.status_code == 200
    return client


def editor_erases(client, question):
    confirm = client.post(
        "/admin/qa/question/", {"action": "erase", "_selected_action": [question.pk]}
    )
    assert "Erase these questions?" in confirm.text and "cannot be undone" in confirm.text
    done = client.post(
        "/admin/qa/question/",
        {"action": "erase", "_selected_action": [question.pk], "confirm": "yes"},
    )
    assert done.status_code == 302


# -- on any database ---------------------------------------------------------------------------


def test_the_readers_download_holds_what_we_hold_then_the_delete_erases_it(editor):
    reader = Reader()
    question = reader.ask(Client(), CategoryFactory())
    editor_client = open_queue(editor)
    LogEntry.objects.log_actions(
        editor.pk,
        [question],
        CHANGE,
        change_message=[{"changed": {"fields": ["Category"]}}],
    )
    assert cache.get(similar._words_key(question.fingerprint))  # the queue cut its words

    download = Client().get(f"/questions/{reader.token}/data.json")
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="my-question.json"'
    assert "no-store" in download["Cache-Control"] or "max-age=0" in download["Cache-Control"]
    data = json.loads(download.content)
    assert data["question"]["name"] == reader.name
    assert data["question"]["email"] == reader.email
    assert data["question"]["signature"] == reader.signature
    assert data["question"]["text"] == reader.body
    assert [entry["what"] for entry in data["history"]] == ["question_submit"]
    (email,) = data["emails"]
    assert email["to"] == reader.email and reader.token in email["text"] and email["sent"]

    fingerprint = question.fingerprint
    response = Client().post(f"/questions/{reader.token}/delete/")
    assert response["Location"] == "/questions/deleted/"
    dispatch = Dispatch.objects.get(question=question)
    assert (dispatch.to, dispatch.subject, dispatch.body) == ("", "", "")
    log = LogEntry.objects.get(object_id=str(question.pk))
    assert log.object_repr == f"Question {question.pk}" and log.change_message == ""
    assert all(cache.get(key) is None for key in similar.keys_holding(fingerprint))
    assert Client().get(f"/questions/{reader.token}/data.json").status_code == 404
    # The queue still works, without it.
    assert reader.word not in editor_client.get("/admin/qa/question/").text


def test_an_editors_erasure_is_confirmed_recorded_and_erases(editor):
    reader = Reader()
    question = reader.ask(Client(), CategoryFactory())
    client = open_queue(editor)
    editor_erases(client, question)
    question.refresh_from_db()
    assert (question.name, question.email, question.body, question.signature) == ("",) * 4
    assert question.status == Question.Status.WITHDRAWN
    entry = question.transitions.get(action="question_erase")
    assert (entry.by, entry.note) == (editor, "Erased by an editor.")
    assert Dispatch.objects.get(question=question).body == ""


def test_a_picked_question_keeps_what_was_published_and_loses_the_rest(editor):
    reader = Reader()
    question = reader.ask(Client(), CategoryFactory())
    column_pick(question=question, week=datetime.date(2026, 3, 9), by=editor)
    question = question_erase(question=Question.objects.get(pk=question.pk))
    assert (question.body, question.signature) == (reader.body, reader.signature)
    assert (question.name, question.email, question.token == reader.token) == ("", "", False)
    for dispatch in Dispatch.objects.filter(question=question):
        assert (dispatch.to, dispatch.body) == ("", "")


def test_a_task_carries_ids_never_the_readers_details(editor, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    from django.tasks import default_task_backend

    default_task_backend.clear()
    reader = Reader()
    reader.ask(Client(), CategoryFactory())
    (queued,) = default_task_backend.results
    assert queued.args == [] and list(queued.kwargs) == ["dispatch_id"]
    assert not any(s in repr(queued.kwargs) for s in reader.strings())


def test_the_retention_job_erases_after_each_period_and_not_before(editor):
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    category = CategoryFactory()
    with time_machine.travel(start, tick=False) as clock:
        spam, declined, kept = Reader(), Reader(), Reader()
        spam_question = spam.ask(Client(), category, website="http://bot.example")
        declined_question = declined.ask(Client(), category)
        kept_question = kept.ask(Client(), category)
        question_decline(question=declined_question, by=editor)
        assert spam_question.status == Question.Status.SPAM

        clock.shift(datetime.timedelta(days=29, hours=23))
        assert retention_run() == {"spam": 0, "declined": 0, "emails": 0}
        clock.shift(datetime.timedelta(hours=2))
        assert retention_run() == {"spam": 1, "declined": 0, "emails": 2}
        spam_question.refresh_from_db()
        assert spam_question.body == "" and spam_question.status == Question.Status.SPAM
        assert spam_question.erased_at is not None
        # The emails' text went at 30 days; the questions themselves stay until theirs.
        kept_question.refresh_from_db()
        assert kept_question.email == kept.email
        assert set(Dispatch.objects.values_list("body", flat=True)) == {""}

        clock.shift(datetime.timedelta(days=150))
        assert retention_run()["declined"] == 1
        declined_question.refresh_from_db()
        assert (declined_question.body, declined_question.email) == ("", "")
        assert declined_question.status == Question.Status.DECLINED
        assert declined_question.transitions.get(action="question_erase").note == (
            "Erased after the retention period for declined questions."
        )
        assert retention_run() == {"spam": 0, "declined": 0, "emails": 0}
    assert "retention" in settings.PERIODIC_JOBS


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(f"{record.name} {record.levelname} {self.format(record)}")


def test_the_logs_of_a_whole_week_hold_no_readers_name_email_or_question(editor, settings):
    """
    Every log record, at every level, from the week: questions asked (one caught as spam),
    emails sent and failing, the pick, the invitations, answers, publication, an erasure, the
    retention job a season later. None holds a reader's name, email, signature or text.
    """
    from .test_tasks import SMTPDown

    collect = Collect()
    root = logging.getLogger()
    level = root.level
    root.addHandler(collect)
    root.setLevel(logging.DEBUG)
    settings.MAILERS = {"default": {"BACKEND": "tests.test_tasks.SMTPDown"}}
    settings.EMAIL_MAX_ATTEMPTS = 2
    SMTPDown.down = True
    readers = [Reader() for _ in range(4)]
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    try:
        with time_machine.travel(start, tick=False) as clock:
            category = CategoryFactory()
            debra = ExpertUserFactory(username="debra")
            picked = readers[0].ask(Client(), category)  # its email fails: logged
            readers[1].ask(Client(), category, website="filled")  # spam
            declined = readers[2].ask(Client(), category)
            erased = readers[3].ask(Client(), category)
            Client().get(f"/questions/{readers[3].token}/data.json")
            Client().post(f"/questions/{readers[3].token}/delete/")
            assert Question.objects.get(pk=erased.pk).erased_at is not None
            open_queue(editor)
            question_decline(question=declined, by=editor)
            clock.shift(datetime.timedelta(hours=2))
            jobs_run()  # the retries fail again, and give up: logged
            SMTPDown.down = False
            column = column_pick(question=picked, week=datetime.date(2026, 3, 9), by=editor)
            (answer,) = column_invite(
                column=column,
                experts=[debra.expert],
                deadline=start + datetime.timedelta(days=3),
                by=editor,
            )
            answer = answer_submit(
                answer=answer, headline="Ask", body="Just ask.", version=answer.version, by=debra
            )
            answer_approve(answer=answer, by=editor)
            column_publish(column=Column.objects.get(pk=column.pk), by=editor)
            Client().get(Column.objects.get(pk=column.pk).get_absolute_url())
            Client().get("/questions/not-a-token/")  # a 404, logged by Django
            clock.shift(datetime.timedelta(days=200))
            jobs_run()
    finally:
        root.removeHandler(collect)
        root.setLevel(level)
        SMTPDown.down = True
    assert len(mail.outbox) >= 3
    assert any("Gave up on email" in line for line in collect.lines)
    assert any("Retention: erased" in line for line in collect.lines)
    leaks = [
        (secret, line)
        for line in collect.lines
        for reader in readers
        for secret in [reader.name, reader.email, reader.signature, reader.word]
        if secret in line
    ]
    print(
        f"\nLogs of a whole week: {len(collect.lines)} records, {len(leaks)} with a reader's data"
    )
    assert leaks == []


# -- on PostgreSQL with Redis and the database task backend (make security) -------------------

needs_postgres_and_redis = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (
            os.environ.get("DATABASE_URL", "").startswith("postgres")
            and os.environ.get("REDIS_URL")
        ),
        reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)",
    ),
]


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker():
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)


def pg_dump():
    """The whole test database, every table, as text."""
    db = connection.settings_dict
    dump = shutil.which("pg_dump") or "/usr/bin/pg_dump"
    command = [dump, "--no-owner", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432)]
    command += ["-U", db["USER"] or "postgres", db["NAME"]]
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    return subprocess.run(command, capture_output=True, check=True, env=env, timeout=120).stdout


def redis_values():
    """Every key and every value in the cache's Redis database, as bytes."""
    import redis

    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    found = []
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        if kind == b"string":
            value = client.get(key) or b""
        elif kind == b"hash":
            value = b" ".join(k + b"=" + v for k, v in client.hgetall(key).items())
        elif kind == b"list":
            value = b" ".join(client.lrange(key, 0, -1))
        elif kind in (b"set", b"zset"):
            value = b" ".join(client.smembers(key) if kind == b"set" else client.zrange(key, 0, -1))
        else:
            value = b""
        found.append(key + b" " + value)
    return found


def assert_nowhere(reader, label):
    dump = pg_dump()
    values = redis_values()
    found = {
        secret: [
            where
            for where, text in [("pg_dump", dump), *(("redis", v) for v in values)]
            if secret.encode() in text
        ]
        for secret in reader.strings()
    }
    leaks = {secret: where for secret, where in found.items() if where}
    print(
        f"\n{label}: pg_dump {len(dump):,} bytes, {len(values)} Redis keys, "
        f"{len(reader.strings())} strings, {len(leaks)} found"
    )
    assert leaks == {}


def asked_sent_and_queued(editor, reader):
    question = reader.ask(Client(), CategoryFactory())
    run_worker()
    assert mail.outbox[-1].to == [reader.email] and reader.token in mail.outbox[-1].body
    open_queue(editor)
    # Before the erasure, each store holds the reader: the check below can fail.
    dump, values = pg_dump(), b"\n".join(redis_values())
    assert reader.email.encode() in dump and reader.word.encode() in values
    return question


def test_nothing_of_the_reader_remains_after_they_delete(editor, database_tasks):
    reader = Reader()
    asked_sent_and_queued(editor, reader)
    download = Client().get(f"/questions/{reader.token}/data.json")
    assert reader.name in download.content.decode()
    Client().post(f"/questions/{reader.token}/delete/")
    run_worker()
    assert_nowhere(reader, "After the reader's delete")


def test_nothing_of_the_reader_remains_after_an_editor_erases(editor, database_tasks):
    reader = Reader()
    question = asked_sent_and_queued(editor, reader)
    editor_erases(open_queue(editor), question)
    run_worker()
    assert_nowhere(reader, "After an editor's erasure")


def test_nothing_of_the_reader_remains_after_the_retention_periods(editor, database_tasks):
    start = datetime.datetime.now(datetime.UTC)
    with time_machine.travel(start, tick=False) as clock:
        reader = Reader()
        question = asked_sent_and_queued(editor, reader)
        question_decline(question=question, by=editor)
        clock.shift(datetime.timedelta(days=181))
        jobs_run()
        run_worker()
    assert_nowhere(reader, "After the retention periods")


for _test in [
    test_nothing_of_the_reader_remains_after_they_delete,
    test_nothing_of_the_reader_remains_after_an_editor_erases,
    test_nothing_of_the_reader_remains_after_the_retention_periods,
]:
    for _mark in needs_postgres_and_redis:
        _mark(_test)
