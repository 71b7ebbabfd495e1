"""Staff reset a forgotten password from the sign-in page, throttled."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

RESET = "/admin/password_reset/"


def test_the_sign_in_page_offers_a_reset_in_the_admins_look(client):
    assert RESET in client.get(reverse("admin:login")).text
    page = client.get(RESET).text
    assert "Expert panel" in page and 'name="email"' in page


def test_a_reset_link_sets_a_new_password_once(
    client, expert_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RESET, {"email": expert_a.email})
    assert response.status_code == 302 and response.url == "/admin/password_reset/done/"
    (email,) = mail.outbox
    assert email.to == [expert_a.email] and expert_a.username in email.body
    path = re.search(r"http://[^/]+(/admin/reset/\S+/)", email.body).group(1)
    form = client.get(path, follow=True)
    assert 'name="new_password1"' in form.text
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "fresh horse battery 7", "new_password2": "fresh horse battery 7"},
    )
    assert done.status_code == 302
    signed = Client().post(
        reverse("admin:login"),
        {"username": expert_a.username, "password": "fresh horse battery 7", "next": "/admin/"},
    )
    assert signed.status_code == 302
    assert "new_password1" not in Client().get(path, follow=True).text, "the link works once"


def test_an_unknown_address_gets_the_same_answer_and_no_email(client):
    response = client.post(RESET, {"email": "nobody@example.com"})
    assert response.status_code == 302 and response.url == "/admin/password_reset/done/"
    assert mail.outbox == []


def test_resets_are_throttled_per_sender_and_per_address(
    client, settings, expert_a, expert_b, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_RATE_LIMIT_PER_HOUR = 2
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            assert client.post(RESET, {"email": expert_a.email}).status_code == 302
        refused = client.post(RESET, {"email": expert_b.email})
        # Another sender, the same address: the address's own limit holds.
        other = Client(REMOTE_ADDR="192.0.2.77").post(RESET, {"email": expert_a.email})
    assert refused.status_code == 429 and "Too many reset requests" in refused.text
    assert int(refused["Retry-After"]) > 0
    assert other.status_code == 429
    # Two asks in the same second make the same link: one email, keyed by it.
    assert {tuple(m.to) for m in mail.outbox} == {(expert_a.email,)}


def test_a_reset_links_token_is_kept_only_in_the_email_sent(
    client, expert_a, django_capture_on_commit_callbacks
):
    """The stored email and its key (which the logs name) never hold the reset token."""
    from qa.emails import ONE_TIME_LINK_SENT
    from qa.models import Dispatch

    with django_capture_on_commit_callbacks(execute=True):
        client.post(RESET, {"email": expert_a.email})
    (email,) = mail.outbox
    token = re.search(r"/admin/reset/[^/]+/([^/\s]+)/", email.body).group(1)
    (row,) = Dispatch.objects.filter(to=expert_a.email)
    assert row.sent_at is not None
    assert token not in row.key and token not in row.body
    assert row.body == ONE_TIME_LINK_SENT
