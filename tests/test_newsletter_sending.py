"""
The newsletter's send: who gets the column, what the email holds, its headers, and the
protocol that never sends twice (a repeated start, a killed run, two runs at once, unpublishing).
"""

import datetime
import hashlib
import hmac
import smtplib
import threading

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection
from django.utils import timezone

from qa.mail import message_id
from qa.models import Column, Delivery, NewsletterSend, Publication, Subscriber
from qa.newsletter import sending
from qa.newsletter.render import column_email
from qa.services import column_publish, column_unpublish

from .factories import AnswerFactory, CategoryFactory, ColumnFactory, EditorFactory

pytestmark = pytest.mark.django_db

D = Delivery.Status


def subscriber(email, *, status=Subscriber.Status.CONFIRMED, topics=()):
    row = Subscriber.objects.create(
        email=email,
        status=status,
        consented_at=timezone.now() if status == Subscriber.Status.CONFIRMED else None,
    )
    row.topics.set(topics)
    return row


@pytest.fixture
def column(db):
    category = CategoryFactory(name="Job Interviews", slug="job-interviews")
    column = ColumnFactory(
        category=category,
        question__category=category,
        question__body="I had a great interview.\n\nShould I add the interviewer on Facebook?",
        question__signature="D",
        title="Should I Follow Up With An Interviewer Over Facebook?",
        dek="After an interview, it's very important to reach out to the employer.",
        status=Column.Status.REVIEW,
    )
    AnswerFactory(
        column=column,
        headline="Send A Thank-You Note ASAP",
        body="Write **today**. See [my guide](https://careers.example/guide).",
        expert__name="Debra Wheatman",
        expert__company="Careers Done Write",
        position=0,
    )
    AnswerFactory(column=column, headline="Second", body="Second answer.", position=1)
    return column


def publish(column, after_commit):
    with after_commit():
        column_publish(column=column, by=EditorFactory())


def newsletters(to=None):
    found = [m for m in mail.outbox if "List-Unsubscribe" in m.extra_headers]
    return [m for m in found if to is None or m.to == [to]]


def test_publishing_sends_to_confirmed_subscribers_whose_topics_include_it(column, after_commit):
    other = CategoryFactory()
    subscriber("all@example.com")
    subscriber("topic@example.com", topics=[column.category])
    subscriber("other@example.com", topics=[other])
    subscriber("pending@example.com", status=Subscriber.Status.PENDING)
    subscriber("gone@example.com", status=Subscriber.Status.UNSUBSCRIBED)
    subscriber("bounced@example.com", status=Subscriber.Status.SUPPRESSED)
    publish(column, after_commit)
    assert sorted(m.to[0] for m in newsletters()) == ["all@example.com", "topic@example.com"]
    send = NewsletterSend.objects.get(column=column)
    assert send.status == NewsletterSend.Status.DONE
    assert send.deliveries.filter(status=D.SENT).count() == 2


def test_the_email_is_the_column_in_html_and_plain_text(column, after_commit):
    Publication.objects.update_or_create(
        pk=1,
        defaults={
            "name": "Careers Weekly",
            "newsletter_from": "Careers Weekly <column@careers.example>",
            "newsletter_reply_to": "letters@careers.example",
        },
    )
    reader = subscriber("reader@example.com")
    publish(column, after_commit)
    (message,) = newsletters()
    assert message.subject == "Should I Follow Up With An Interviewer Over Facebook?"
    assert message.from_email == "Careers Weekly <column@careers.example>"
    assert message.reply_to == ["letters@careers.example"]
    headers = message.extra_headers
    assert headers["Auto-Submitted"] == "auto-generated"
    assert headers["List-Id"] == '"Careers Weekly" <newsletter.127.0.0.1>'
    unsubscribe = f"http://127.0.0.1:8000/newsletter/unsubscribe/{reader.token}/"
    assert headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["Message-ID"] == message_id(f"newsletter.{column.pk}.{reader.pk}")
    html = message.alternatives[0].content
    text = message.body
    for part in (html, text):
        for words in [
            "JOB INTERVIEWS" if part is text else "Job Interviews",
            "Follow Up With An Interviewer",
            "reach out to the employer",
            "Each week, we choose one question",
            "Should I add the interviewer on Facebook?",
            "- D",
            "Debra Wheatman",
            "of Careers Done Write says",
            f"/columns/{column.slug}/",
            f"/newsletter/preferences/{reader.token}/",
            unsubscribe,
        ]:
            assert words in part or words.upper() in part, (words, part[:300])
    assert html.index("Thank-You Note") < html.index("Second answer")
    assert "<strong" in html and "today" in text and "(https://careers.example/guide)" in text
    assert 'style="' in html and "max-width:600px" in html
    # No tracking: no images at all (so no pixel), and every link goes where it says.
    assert "<img" not in html
    assert send_placeholder_left(html + text) is False


def send_placeholder_left(content):
    return "-preferences" in content.replace("/preferences/", "") or "-unsubscribe" in content


def test_the_column_is_rendered_once_per_send(column, after_commit, django_assert_max_num_queries):
    for n in range(5):
        subscriber(f"r{n}@example.com")
    calls = []
    original = sending.column_email
    sending.column_email = lambda *a, **k: calls.append(1) or original(*a, **k)
    try:
        publish(column, after_commit)
    finally:
        sending.column_email = original
    assert calls == [1] and len(newsletters()) == 5


def test_started_twice_sends_once(column, after_commit):
    subscriber("a@example.com")
    subscriber("b@example.com")
    publish(column, after_commit)
    with after_commit():
        sending.send_start(column_id=column.pk)
        column_publish(column=column, by=None)
    assert len(newsletters()) == 2
    assert Delivery.objects.count() == 2


def test_the_audience_is_fixed_when_the_send_starts(column, after_commit):
    subscriber("a@example.com")
    publish(column, after_commit)
    subscriber("late@example.com")
    with after_commit():
        sending.send_start(column_id=column.pk)
    assert [m.to[0] for m in newsletters()] == ["a@example.com"]


def test_nothing_is_sent_for_a_column_not_published(column, after_commit):
    subscriber("a@example.com")
    with after_commit():
        assert sending.send_start(column_id=column.pk) is None
    assert newsletters() == []


def test_unpublishing_stops_a_send_that_has_not_finished(column, after_commit, settings):
    for n in range(6):
        subscriber(f"r{n}@example.com")
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    publish(column, after_commit)  # the send is queued, not run
    send = sending.send_start(column_id=column.pk)
    sending.send_run(send_id=send.pk, batch_size=2, seconds=0)  # one batch, then it yields
    assert len(newsletters()) == 2
    column_unpublish(column=column, by=None)
    send.refresh_from_db()
    assert send.status == NewsletterSend.Status.STOPPED
    assert send.deliveries.filter(status=D.STOPPED).count() == 4
    sending.send_run(send_id=send.pk, batch_size=2)
    assert len(newsletters()) == 2
    # Published again: the rest go, and nobody gets it twice.
    column.refresh_from_db()
    column_publish(column=column, by=None)
    assert "newsletter" in column.transitions.filter(action="column_publish").first().note
    send = sending.send_start(column_id=column.pk)
    sending.send_run(send_id=send.pk)
    assert sorted(m.to[0] for m in newsletters()) == sorted(f"r{n}@example.com" for n in range(6))


def test_a_killed_run_is_resumed_without_doubling(column, after_commit, settings):
    """A run that died left its batch claimed and one delivery being handed over."""
    for n in range(5):
        subscriber(f"r{n}@example.com")
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    publish(column, after_commit)
    send = sending.send_start(column_id=column.pk)
    rows = list(send.deliveries.order_by("id"))
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.NEWSLETTER_LEASE_SECONDS + 1)
    Delivery.objects.filter(pk=rows[0].pk).update(status=D.SENT, sent_at=long_ago)
    Delivery.objects.filter(pk=rows[1].pk).update(
        status=D.SENDING, claim="dead", claimed_at=long_ago
    )
    Delivery.objects.filter(pk__in=[rows[2].pk, rows[3].pk]).update(
        status=D.CLAIMED, claim="dead", claimed_at=long_ago
    )
    NewsletterSend.objects.filter(pk=send.pk).update(heartbeat_at=long_ago)
    # A live run does not take what the dead one holds.
    sending.send_run(send_id=send.pk)
    assert [m.to[0] for m in newsletters()] == [rows[4].subscriber.email]
    with after_commit():
        assert sending.sends_resume() == [send.pk]
    statuses = dict(send.deliveries.values_list("pk", "status"))
    assert statuses[rows[1].pk] == D.UNKNOWN
    sending.send_run(send_id=send.pk)
    sent_to = sorted(m.to[0] for m in newsletters())
    assert sent_to == sorted(
        [rows[2].subscriber.email, rows[3].subscriber.email, rows[4].subscriber.email]
    )
    send.refresh_from_db()
    assert send.status == NewsletterSend.Status.DONE


class RefusingBackend(LocmemBackend):
    """A mail server that refuses one mailbox for good."""

    def send_messages(self, messages):
        for message in messages:
            if message.to == ["refused@example.com"]:
                raise smtplib.SMTPRecipientsRefused({"refused@example.com": (550, b"no such user")})
        return super().send_messages(messages)


def test_repeated_smtp_rejections_suppress_the_address(settings, after_commit):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.RefusingBackend"}}
    settings.NEWSLETTER_REJECTIONS_TO_SUPPRESS = 2
    refused = subscriber("refused@example.com")
    subscriber("fine@example.com")
    for week in range(3):
        column = ColumnFactory(status=Column.Status.REVIEW)
        AnswerFactory(column=column)
        publish(column, after_commit)
        refused.refresh_from_db()
        if week == 0:
            assert refused.status == Subscriber.Status.CONFIRMED and refused.rejections == 1
    assert refused.status == Subscriber.Status.SUPPRESSED
    assert "550" in refused.suppressed_reason
    statuses = list(Delivery.objects.filter(subscriber=refused).values_list("status", flat=True))
    assert statuses == [D.FAILED, D.FAILED]  # the third week leaves it out
    assert len(newsletters("fine@example.com")) == 3


def mailgun_event(
    recipient, *, key="test-mailgun-signing-key", event="failed", severity="permanent"
):
    timestamp, token = "1700000000", "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": {
            "event": event,
            "severity": severity,
            "timestamp": 1700000000.0,
            "id": "evt",
            "recipient": recipient,
            "reason": "bounce",
            "message": {"headers": {"message-id": "x@example.com"}},
        },
    }


def test_provider_bounce_with_a_valid_signature_suppresses(client):
    reader = subscriber("bounce@example.com")
    response = client.post(
        "/anymail/mailgun/tracking/",
        mailgun_event("bounce@example.com"),
        content_type="application/json",
    )
    assert response.status_code == 200
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.SUPPRESSED
    assert "Mailgun reported bounced" in reader.suppressed_reason


def test_provider_complaint_suppresses(client):
    reader = subscriber("angry@example.com")
    client.post(
        "/anymail/mailgun/tracking/",
        mailgun_event("angry@example.com", event="complained"),
        content_type="application/json",
    )
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.SUPPRESSED


def test_provider_webhook_with_a_forged_signature_changes_nothing(client):
    reader = subscriber("victim@example.com")
    response = client.post(
        "/anymail/mailgun/tracking/",
        mailgun_event("victim@example.com", key="guessed-key"),
        content_type="application/json",
    )
    assert response.status_code == 400
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.CONFIRMED


def test_a_temporary_bounce_does_not_suppress(client):
    reader = subscriber("full@example.com")
    client.post(
        "/anymail/mailgun/tracking/",
        mailgun_event("full@example.com", severity="temporary"),
        content_type="application/json",
    )
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.CONFIRMED


def test_test_send_goes_to_the_editor_only(column):
    editor = EditorFactory(email="maria@desk.example")
    subscriber("a@example.com")
    assert sending.test_send(column_id=column.pk, user_id=editor.pk) is True
    (message,) = mail.outbox
    assert message.to == ["maria@desk.example"] and message.subject.startswith("[Test] ")
    assert Delivery.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_deliver_each_email_once(column, settings):
    """Two workers start the same send at the same moment (PostgreSQL: SKIP LOCKED)."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent runs need PostgreSQL's row locks")
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    for n in range(60):
        subscriber(f"r{n}@example.com")
    Column.objects.filter(pk=column.pk).update(
        status=Column.Status.PUBLISHED, published_at=timezone.now()
    )
    send = sending.send_start(column_id=column.pk)
    barrier = threading.Barrier(2)
    handed, errors = [], []

    def run():
        try:
            barrier.wait()
            handed.append(sending.send_run(send_id=send.pk, batch_size=5))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    recipients = [m.to[0] for m in newsletters()]
    assert sorted(recipients) == sorted(f"r{n}@example.com" for n in range(60))
    assert sum(handed) == 60 and all(handed), handed
    assert set(Delivery.objects.values_list("status", flat=True)) == {D.SENT}


def test_rendering_needs_no_subscriber(column):
    subject, html, text, placeholder = column_email(column)
    assert placeholder in html and placeholder in text
    assert "\n" not in subject
