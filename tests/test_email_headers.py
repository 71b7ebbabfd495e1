"""
Every automated email of the week carries Auto-Submitted, a Message-ID on the site's domain
derived from its key, and the publication's Reply-To; and a send is at most once across a kill.
"""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from qa.emails import (
    BEING_SENT,
    UNCERTAIN,
    dispatch_claim,
    dispatch_send,
    emails_retry,
)
from qa.mail import automated_message, message_id
from qa.models import Dispatch, Publication

from .factories import EditorFactory
from .published import publish_through_services

SITE = "https://panel.example.com"


@pytest.fixture
def site(settings):
    settings.SITE_URL = SITE
    settings.EDITOR_EMAIL = "editors@panel.example.com"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("committed_roles")
def test_every_email_of_a_published_week_carries_the_headers(site):
    Publication.objects.update_or_create(pk=1, defaults={"reply_to": "letters@panel.example.com"})
    publish_through_services(EditorFactory(username="headers-editor"))
    assert len(mail.outbox) >= 6
    keys = set(Dispatch.objects.values_list("key", flat=True))
    ids = set()
    for message in mail.outbox:
        headers = message.message()
        assert headers["Auto-Submitted"] == "auto-generated", message.subject
        assert headers["Reply-To"] == "letters@panel.example.com"
        assert headers["Message-ID"].endswith("@panel.example.com>")
        ids.add(headers["Message-ID"])
    assert ids == {message_id(key) for key in keys}  # one Message-ID per email key


@pytest.mark.django_db
def test_reply_to_falls_back_to_the_editors_and_extra_headers_cannot_replace_ours(site):
    message = automated_message(
        key="k:1",
        to="reader@example.com",
        subject="A\nsubject",
        body="Hello.",
        headers={"List-Id": "<weekly.panel.example.com>", "Auto-Submitted": "no"},
    ).message()
    assert message["Reply-To"] == "editors@panel.example.com"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Id"] == "<weekly.panel.example.com>"
    assert message["Subject"] == "A subject"
    assert message["From"].endswith("@panel.example.com>") or "@" in message["From"]
    assert message_id("k:1") == message_id("k:1") != message_id("k:2")


# -- at most once across a kill ---------------------------------------------------------------


@pytest.fixture
def row(db, site):
    return Dispatch.objects.create(key="once:1", to="reader@example.com", subject="S", body="B")


def test_the_claim_is_committed_before_the_hand_over(row):
    claimed, outcome = dispatch_claim(row.pk)
    assert outcome is None
    row.refresh_from_db()
    assert row.sending_at is not None and row.attempts == 1 and row.sent_at is None
    assert dispatch_send(claimed) is True
    row.refresh_from_db()
    assert row.sent_at is not None and row.sending_at is None and row.retry_at is None
    assert mail.outbox[0].extra_headers["Message-ID"] == message_id("once:1")


def test_a_sender_killed_after_the_hand_over_is_never_followed_by_a_second_send(row, settings):
    dispatch_claim(row.pk)  # ... handed over, then the process died before recording
    assert dispatch_claim(row.pk) == (None, BEING_SENT)  # within the lease: someone is on it
    later = timezone.now() + datetime.timedelta(seconds=settings.EMAIL_SENDING_LEASE_SECONDS + 1)
    assert emails_retry(now=later) == (0, 0)
    assert dispatch_claim(row.pk, now=later) == (None, UNCERTAIN)
    row.refresh_from_db()
    assert row.sent_at is None and row.retry_at is None and row.sending_at is not None
    assert "not sent again" in row.last_error
    assert mail.outbox == []


def test_a_failed_hand_over_clears_the_mark_and_is_tried_again(row, settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.test_tasks.SMTPDown"}}
    from .test_tasks import SMTPDown

    SMTPDown.down = True
    claimed, _ = dispatch_claim(row.pk)
    assert dispatch_send(claimed) is False
    row.refresh_from_db()
    assert row.sending_at is None and row.retry_at is not None and row.sent_at is None
    SMTPDown.down = False
    assert emails_retry(now=row.retry_at) == (1, 0)
    assert len(mail.outbox) == 1
