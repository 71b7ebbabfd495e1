"""
The newsletter's reader side: the form, double opt-in, the daily limit on confirmations, the
box on /ask/, the preferences page and RFC 8058's one-click unsubscribe.
"""

import datetime
import re
import time

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qa.forms import started_token
from qa.models import Dispatch, Subscriber
from qa.newsletter.services import subscriber_confirm, subscriber_request

from .factories import CategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _on_commit_at_once(monkeypatch):
    """These tests never commit: what waits for the commit (the emails) runs at once."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


CONFIRM_LINK = re.compile(r"https?://\S+/newsletter/confirm/([\w-]+)/")


def form(email="reader@example.com", **overrides):
    data = {"email": email, "website": "", "started": started_token(at=time.time() - 60)}
    data.update(overrides)
    return data


def confirm_token(message):
    return CONFIRM_LINK.search(message.body).group(1)


def subscribe(client, email="reader@example.com", **overrides):
    return client.post(reverse("newsletter:subscribe"), form(email, **overrides))


def confirmed(email="reader@example.com", topics=()):
    subscriber_request(email=email, topics=topics, source=Subscriber.Source.NEWSLETTER_FORM)
    token = confirm_token(mail.outbox[-1])
    return subscriber_confirm(token=token)


def test_form_asks_for_email_and_optional_topics(client):
    category = CategoryFactory(name="Job Interviews", slug="job-interviews")
    response = client.get(reverse("newsletter:subscribe"))
    assert response.status_code == 200
    assert 'name="email"' in response.text
    assert f'value="{category.pk}"' in response.text
    assert 'name="website"' in response.text and 'name="started"' in response.text
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_subscribing_sends_one_confirmation_and_nothing_else(client):
    category = CategoryFactory()
    response = subscribe(client, "Reader@Example.com", topics=[category.pk])
    assert response.status_code == 302 and response["Location"] == reverse("newsletter:sent")
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "reader@example.com"
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.consented_at is None
    assert list(subscriber.topics.all()) == [category]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["reader@example.com"]
    assert CONFIRM_LINK.search(mail.outbox[0].body)
    # Only a digest of the link's token is stored: not the token, nor the sent email's text.
    token = confirm_token(mail.outbox[0])
    assert token not in subscriber.confirm_digest
    (stored,) = Dispatch.objects.filter(to="reader@example.com")
    assert stored.sent_at is not None
    assert token not in stored.body and token not in stored.key


def test_form_errors_name_the_field_and_keep_what_was_typed(client):
    response = subscribe(client, "not an address")
    assert response.status_code == 400
    assert "Your email: that does not look like an email address." in response.text
    assert 'value="not an address"' in response.text
    assert not Subscriber.objects.exists() and mail.outbox == []


@pytest.mark.parametrize(
    "overrides",
    [
        lambda: {"website": "http://spam.example"},
        lambda: {"started": "forged"},
        lambda: {"started": started_token()},  # sent at once, as a bot does
    ],
)
def test_spam_defence_of_ask_sends_nothing_and_says_the_same(client, overrides):
    response = subscribe(client, **overrides())
    assert response.status_code == 302 and response["Location"] == reverse("newsletter:sent")
    assert mail.outbox == [] and not Subscriber.objects.exists()


def test_one_confirmation_per_address_per_day_whoever_asks(client):
    subscribe(client)
    subscribe(Client(REMOTE_ADDR="10.0.0.2"), "READER@example.com")
    assert len(mail.outbox) == 1
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=23)):
        subscribe(Client(REMOTE_ADDR="10.0.0.3"))
    assert len(mail.outbox) == 1
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=24, minutes=1)):
        subscribe(Client(REMOTE_ADDR="10.0.0.4"))
    assert len(mail.outbox) == 2


def test_rate_limit_per_address(client, settings):
    settings.NEWSLETTER_RATE_LIMIT_PER_HOUR = 3
    for n in range(3):
        assert subscribe(client, f"r{n}@example.com").status_code == 302
    response = subscribe(client, "r9@example.com")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert len(mail.outbox) == 3


def test_confirmed_or_suppressed_address_gets_no_confirmation(client):
    confirmed("reader@example.com")
    mail.outbox.clear()
    subscribe(client, "reader@example.com")
    assert mail.outbox == []


def test_get_on_the_confirmation_link_confirms_nothing(client):
    subscribe(client)
    token = confirm_token(mail.outbox[0])
    url = reverse("newsletter:confirm", kwargs={"token": token})
    response = client.get(url)
    assert response.status_code == 200 and "Confirm my subscription" in response.text
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING


def test_confirmation_link_works_once_and_records_consent(client):
    subscribe(client, REMOTE_ADDR="203.0.113.9")
    url = reverse("newsletter:confirm", kwargs={"token": confirm_token(mail.outbox[0])})
    response = Client(REMOTE_ADDR="203.0.113.9").post(url)
    assert response.status_code == 200 and "You are subscribed" in response.text
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.consented_at is not None
    assert subscriber.consent_source == Subscriber.Source.NEWSLETTER_FORM
    assert len(subscriber.consent_sender_hash) == 64
    assert "203.0.113.9" not in str(Subscriber.objects.values().get())
    again = client.post(url)
    assert again.status_code == 404 and "This link does not work" in again.text


def test_confirmation_link_expires(client):
    subscribe(client)
    url = reverse("newsletter:confirm", kwargs={"token": confirm_token(mail.outbox[0])})
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=49)):
        response = client.post(url)
    assert response.status_code == 410 and "expired" in response.text
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING


def test_forged_confirmation_token(client):
    for token in ["x", "a" * 300, "%00", "<script>"]:
        response = client.post(f"/newsletter/confirm/{token}/")
        assert response.status_code in {404}, token


def test_ask_box_is_unticked_and_starts_the_same_double_opt_in(client):
    category = CategoryFactory()
    page = client.get(reverse("qa:ask")).text
    box = re.search(r'<input[^>]*name="newsletter"[^>]*>', page).group(0)
    assert 'type="checkbox"' in box and "checked" not in box
    question = {
        "body": "How do I follow up after an interview without seeming pushy at all?",
        "category": category.pk,
        "signature": "D",
        "name": "",
        "email": "asker@example.com",
        "consent": "on",
        "website": "",
        "started": started_token(at=time.time() - 60),
    }
    client.post(reverse("qa:ask"), question)
    assert not Subscriber.objects.exists()
    client.post(
        reverse("qa:ask"),
        {
            **question,
            "body": question["body"] + " Really?",
            "newsletter": "on",
            "started": started_token(at=time.time() - 61),
        },
    )
    subscriber = Subscriber.objects.get()
    assert subscriber.source == Subscriber.Source.ASK_FORM
    assert subscriber.status == Subscriber.Status.PENDING
    assert any(CONFIRM_LINK.search(m.body) for m in mail.outbox if m.to == ["asker@example.com"])


def test_ask_box_without_email_is_an_error_on_the_email_field(client):
    category = CategoryFactory()
    response = client.post(
        reverse("qa:ask"),
        {
            "body": "How do I follow up after an interview without seeming pushy at all?",
            "category": category.pk,
            "consent": "on",
            "newsletter": "on",
            "started": started_token(at=time.time() - 60),
        },
    )
    assert response.status_code == 200
    assert "we need it to send you new columns" in response.text
    assert not Subscriber.objects.exists()


def test_preferences_change_topics_unsubscribe_and_erase(client):
    subscriber = confirmed()
    a, b = CategoryFactory(), CategoryFactory()
    url = reverse("newsletter:preferences", kwargs={"token": subscriber.token})
    page = client.get(url)
    assert page.status_code == 200 and "reader@example.com" in page.text
    client.post(url, {"action": "topics", "topics": [a.pk, b.pk]})
    assert set(subscriber.topics.all()) == {a, b}
    bad = client.post(url, {"action": "topics", "topics": ["999999"]})
    assert bad.status_code == 400 and "is not one of our topics" in bad.text
    assert set(subscriber.topics.all()) == {a, b}
    client.post(url, {"action": "unsubscribe"})
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    client.post(url, {"action": "erase"})
    assert not Subscriber.objects.filter(email="reader@example.com").exists()
    assert not Dispatch.objects.filter(to="reader@example.com").exists()
    assert client.get(url).status_code == 404


def test_one_click_post_with_no_cookie_and_no_csrf_token_unsubscribes():
    subscriber = confirmed()
    url = reverse("newsletter:unsubscribe", kwargs={"token": subscriber.token})
    provider = Client(enforce_csrf_checks=True)
    response = provider.post(url, {"List-Unsubscribe": "One-Click"})
    assert 200 <= response.status_code < 300
    assert not response.cookies
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribed_at is not None
    assert provider.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200


def test_one_click_post_urlencoded_as_providers_send_it():
    subscriber = confirmed()
    url = reverse("newsletter:unsubscribe", kwargs={"token": subscriber.token})
    response = Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED


def test_get_on_the_unsubscribe_url_only_shows_a_button(client):
    subscriber = confirmed()
    url = reverse("newsletter:unsubscribe", kwargs={"token": subscriber.token})
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="List-Unsubscribe" value="One-Click"' in response.text
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED


def test_unsubscribe_post_without_the_one_click_body_is_refused():
    subscriber = confirmed()
    url = reverse("newsletter:unsubscribe", kwargs={"token": subscriber.token})
    response = Client().post(url, {})
    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED


def test_unknown_subscriber_token(client):
    assert (
        client.post("/newsletter/unsubscribe/nope/", {"List-Unsubscribe": "One-Click"}).status_code
        == 404
    )
    assert client.get("/newsletter/preferences/nope/").status_code == 404


def test_a_test_emails_links_open_a_page_that_says_so_and_change_nothing(client):
    reader = Subscriber.objects.create(
        email="reader@example.com", status="confirmed", consented_at=timezone.now()
    )
    for url in (reverse("newsletter:preferences", args=["test"]),
                reverse("newsletter:unsubscribe", args=["test"])):  # fmt: skip
        page = client.get(url)
        assert page.status_code == 200 and "This link is from a test email" in page.text
        posted = client.post(url, {"action": "unsubscribe", "List-Unsubscribe": "One-Click"})
        assert "This link is from a test email" in posted.text
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.CONFIRMED
