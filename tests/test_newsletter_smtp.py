"""
The newsletter over SMTP, to a real server on 127.0.0.1 (aiosmtpd): each subscriber gets one
copy with their own links, and a worker that dies on either side of the commit (between the
message and the dot that ends it) neither loses nor doubles an email.
"""

import datetime
import email
import email.policy
import smtplib

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from qa.mail import message_id
from qa.models import Column, Delivery, NewsletterSend, Subscriber
from qa.newsletter import sending
from qa.newsletter.services import preferences_url, unsubscribe_url

from .factories import AnswerFactory, ColumnFactory
from .processes import free_port

# Committed for real: on PostgreSQL the send's commits are written and answered later, which a
# test's enclosing transaction would not allow.
pytestmark = pytest.mark.django_db(transaction=True)

D = Delivery.Status


class Sink:
    """Keeps every message the server accepted: (recipients, bytes)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"

    def recipients(self):
        return sorted(rcpt for rcpts, _ in self.messages for rcpt in rcpts)


@pytest.fixture
def sink(settings):
    port = free_port()
    server = Sink()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    yield server
    controller.stop()


@pytest.fixture
def send(db):
    column = ColumnFactory(status=Column.Status.REVIEW, title="Should I Follow Up?")
    AnswerFactory(column=column, body="Write **today**.\n\n.A line that starts with a dot.")
    for n in range(5):
        Subscriber.objects.create(
            email=f"r{n}@example.com", status="confirmed", consented_at=timezone.now()
        )
    Column.objects.filter(pk=column.pk).update(
        status=Column.Status.PUBLISHED, published_at=timezone.now()
    )
    return sending.send_start(column_id=column.pk)


class Died(BaseException):
    """The worker's death at a chosen instant: nothing after it runs but the sockets closing."""


def statuses(send):
    return dict(send.deliveries.values_list("subscriber__email", "status"))


def test_each_subscriber_gets_one_copy_with_their_own_links(sink, send):
    assert sending.send_run(send_id=send.pk) == 5
    assert sink.recipients() == [f"r{n}@example.com" for n in range(5)]
    for (recipient,), data in sink.messages:
        reader = Subscriber.objects.get(email=recipient)
        message = email.message_from_bytes(data, policy=email.policy.default)
        assert message["To"] == recipient
        assert message["Message-ID"] == message_id(f"newsletter.{send.column_id}.{reader.pk}")
        # One header line a mail client reads as a URL, not RFC 2047 encoded words.
        assert f"List-Unsubscribe: <{unsubscribe_url(reader.token)}>".encode() in data
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        for part in (text, html):
            assert preferences_url(reader.token) in part
            assert "Should I Follow Up?" in part
        assert ".A line that starts with a dot." in text  # dot-stuffing undone by the server
    assert set(statuses(send).values()) == {D.SENT}


def test_a_worker_that_dies_before_the_commit_delivers_that_email_once_later(
    sink, send, settings, monkeypatch
):
    real = sending.Ledger.mark_sending
    marks = []

    def mark_sending(self, delivery_id):
        marks.append(delivery_id)
        if len(marks) == 3:
            raise Died  # the third email is on the server, all but its final dot
        return real(self, delivery_id)

    monkeypatch.setattr(sending.Ledger, "mark_sending", mark_sending)
    with pytest.raises(Died):
        sending.send_run(send_id=send.pk)
    assert len(sink.messages) == 2  # the server dropped the unfinished third
    monkeypatch.setattr(sending.Ledger, "mark_sending", real)
    later = timezone.now() + datetime.timedelta(seconds=settings.NEWSLETTER_LEASE_SECONDS + 1)
    assert sending.sends_resume(now=later) == [send.pk]
    sending.send_run(send_id=send.pk)
    assert sink.recipients() == [f"r{n}@example.com" for n in range(5)]
    # The second email's outcome died with the worker: it was handed over, and is not resent.
    assert sorted(statuses(send).values()) == [D.SENT] * 4 + [D.UNKNOWN]


def test_a_worker_that_dies_after_the_dot_does_not_send_that_email_again(
    sink, send, settings, monkeypatch
):
    real = smtplib.SMTP.send
    dots = []

    def send_then_die(self, data):
        real(self, data)
        if data == b".\r\n":
            dots.append(data)
            if len(dots) == 3:
                raise Died  # the server has the third email; its record says "sending"

    monkeypatch.setattr(smtplib.SMTP, "send", send_then_die)
    with pytest.raises(Died):
        sending.send_run(send_id=send.pk)
    monkeypatch.setattr(smtplib.SMTP, "send", real)
    later = timezone.now() + datetime.timedelta(seconds=settings.NEWSLETTER_LEASE_SECONDS + 1)
    sending.sends_resume(now=later)
    sending.send_run(send_id=send.pk)
    assert sink.recipients() == [f"r{n}@example.com" for n in range(5)]
    assert sorted(statuses(send).values()) == [D.SENT] * 4 + [D.UNKNOWN]  # the third
    assert NewsletterSend.objects.get(pk=send.pk).status == NewsletterSend.Status.DONE


def test_a_refused_recipient_fails_and_the_rest_are_sent(sink, send, monkeypatch):
    real = smtplib.SMTP.rcpt

    def rcpt(self, recipient, options=()):
        if recipient == "r1@example.com":
            return 550, b"5.1.1 no such user"
        return real(self, recipient, options)

    monkeypatch.setattr(smtplib.SMTP, "rcpt", rcpt)
    assert sending.send_run(send_id=send.pk) == 4
    assert "r1@example.com" not in sink.recipients()
    found = statuses(send)
    assert found["r1@example.com"] == D.FAILED
    assert Subscriber.objects.get(email="r1@example.com").rejections == 1


@pytest.mark.django_db  # no send's records: the editor's group from the migrations is wanted
def test_the_test_email_goes_over_the_same_path(sink, send):
    from .factories import EditorFactory

    editor = EditorFactory(email="maria@desk.example")
    assert sending.test_send(column_id=send.column_id, user_id=editor.pk) is True
    (((recipient,), data),) = sink.messages
    assert recipient == "maria@desk.example"
    assert b"/newsletter/preferences/test/" in data
