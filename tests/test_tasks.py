"""The SMTP server is down at send time: the task records, retries with backoff, sends once."""

import copy
import datetime
import io
import smtplib

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.tasks import default_task_backend
from django.utils import timezone

from qa.emails import email_enqueue, retry_delay
from qa.models import Dispatch
from qa.tasks import send_email

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


class SMTPDown(EmailBackend):
    """The in-memory outbox, behind an SMTP server that is down while ``down`` is true."""

    down = True
    tries = 0

    def send_messages(self, messages):
        SMTPDown.tries += 1
        if SMTPDown.down:
            raise smtplib.SMTPConnectError(421, "mail.example.com: service not available")
        return super().send_messages(messages)


@pytest.fixture
def smtp(settings, tmp_path):
    (tmp_path / "emails").mkdir()
    (tmp_path / "emails" / "hello.txt").write_text("Hello {{ name }}.")
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [tmp_path, *templates[0]["DIRS"]]
    settings.TEMPLATES = templates
    settings.MAILERS = {"default": {"BACKEND": "tests.test_tasks.SMTPDown"}}
    settings.EMAIL_MAX_ATTEMPTS = 4
    settings.EMAIL_RETRY_SECONDS = 60
    SMTPDown.down, SMTPDown.tries = True, 0
    yield SMTPDown
    SMTPDown.down = True


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def enqueue(django_capture_on_commit_callbacks, key="hello:1"):
    with django_capture_on_commit_callbacks(execute=True):
        email_enqueue(
            key=key, to="reader@example.com", subject="Hi", template="hello", context={"name": "D"}
        )


def retry_emails(*args):
    call_command("retry_emails", *args, stdout=io.StringIO())


def test_a_failed_send_is_recorded_and_never_reaches_the_caller(
    smtp, clock, django_capture_on_commit_callbacks
):
    enqueue(django_capture_on_commit_callbacks)  # raises nothing
    dispatch = Dispatch.objects.get(key="hello:1")
    assert dispatch.sent_at is None
    assert dispatch.attempts == 1
    assert dispatch.last_error.startswith("SMTPConnectError: (421")
    assert dispatch.retry_at == START + datetime.timedelta(seconds=60)
    assert dispatch.body == "Hello D."
    assert mail.outbox == []


def test_the_delay_doubles_after_each_failure(settings):
    settings.EMAIL_RETRY_SECONDS = 60
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]


def test_retry_emails_waits_for_the_next_try(smtp, clock, django_capture_on_commit_callbacks):
    enqueue(django_capture_on_commit_callbacks)
    smtp.down = False
    clock.shift(datetime.timedelta(seconds=59))
    retry_emails()
    assert mail.outbox == []
    clock.shift(datetime.timedelta(seconds=1))
    retry_emails()
    assert len(mail.outbox) == 1


def test_once_the_server_is_back_the_email_goes_out_exactly_once(
    smtp, clock, django_capture_on_commit_callbacks
):
    enqueue(django_capture_on_commit_callbacks)
    clock.shift(datetime.timedelta(minutes=1))
    retry_emails()  # still down: the second failure waits twice as long
    dispatch = Dispatch.objects.get()
    assert (dispatch.attempts, dispatch.retry_at) == (2, timezone.now() + retry_delay(2))

    smtp.down = False
    clock.shift(datetime.timedelta(minutes=2))
    retry_emails()
    retry_emails("--now")
    enqueue(django_capture_on_commit_callbacks)  # the same email asked for again
    assert [m.body for m in mail.outbox] == ["Hello D."]
    dispatch.refresh_from_db()
    assert dispatch.sent_at == timezone.now()
    assert (dispatch.attempts, dispatch.retry_at) == (3, None)
    assert "SMTPConnectError" in dispatch.last_error  # the history of the outage stays


def test_after_the_last_attempt_it_gives_up_with_a_logged_error(
    smtp, clock, django_capture_on_commit_callbacks, caplog
):
    enqueue(django_capture_on_commit_callbacks)
    for _ in range(5):
        clock.shift(datetime.timedelta(hours=1))
        retry_emails()
    dispatch = Dispatch.objects.get()
    assert (dispatch.attempts, dispatch.retry_at, dispatch.sent_at) == (4, None, None)
    assert smtp.tries == 4
    assert f"Gave up on email hello:1 (row {dispatch.pk}) after 4 attempts" in caplog.text
    assert "reader@example.com" not in caplog.text  # logs never hold an address

    smtp.down = False
    retry_emails("--now")
    assert mail.outbox == []  # given up means given up; the row shows why


def test_a_backend_that_can_wait_gets_the_task_queued_again(
    smtp, clock, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        dispatch = email_enqueue(
            key="hello:2",
            to="reader@example.com",
            subject="Hi",
            template="hello",
            context={"name": "D"},
        )
    (first,) = default_task_backend.results
    # The task carries the row's id, nothing else: no address, no text.
    assert first.kwargs == {"dispatch_id": dispatch.pk} and first.args == []
    default_task_backend.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_email.call(dispatch_id=dispatch.pk) == "retry queued"
    (queued,) = default_task_backend.results
    assert queued.task.run_after == START + datetime.timedelta(seconds=60)
    assert queued.kwargs == {"dispatch_id": dispatch.pk}

    smtp.down = False
    assert queued.task.call(**queued.kwargs) == "sent"
    assert queued.task.call(**queued.kwargs) == "already sent"
    assert len(mail.outbox) == 1


def test_two_runners_of_one_email_send_it_once(smtp, clock, django_capture_on_commit_callbacks):
    """The task queued again by the worker and retry_emails both come due: one email."""
    enqueue(django_capture_on_commit_callbacks)
    smtp.down = False
    clock.shift(datetime.timedelta(minutes=5))
    retry_emails()
    enqueue(django_capture_on_commit_callbacks)
    retry_emails("--now")
    assert len(mail.outbox) == 1
