"""Admin sign-in is throttled per account and per address, with state in the database."""

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone

from .factories import EditorFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")


@pytest.fixture
def maria():
    return EditorFactory(username="maria")


def sign_in(client, username, password, address="203.0.113.1", **extra):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
        **extra,
    )


def signed_in(client):
    return SESSION_KEY in client.session


def test_account_is_locked_after_five_failures_from_different_addresses(client, maria, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for n in range(4):
        response = sign_in(client, "maria", "wrong", address=f"198.51.100.{n}")
        assert response.status_code == 200  # the form again, with Django's error
    locked = sign_in(client, "maria", "wrong", address="198.51.100.9")
    assert locked.status_code == 429

    fresh_address = sign_in(client, "maria", "pw", address="192.0.2.77")
    assert fresh_address.status_code == 429
    assert not signed_in(client)


def test_address_is_locked_after_five_failures_across_accounts(client, maria):
    for n in range(5):
        sign_in(client, f"guess{n}", "wrong", address="198.51.100.50")
    response = sign_in(client, "maria", "pw", address="198.51.100.50")
    assert response.status_code == 429
    assert not signed_in(client)
    # The account itself is not locked: maria signs in from her own address.
    assert sign_in(client, "maria", "pw", address="192.0.2.10").status_code == 302
    assert signed_in(client)


def test_the_lockout_page_says_what_happened_and_for_how_long(client, maria):
    for _ in range(5):
        sign_in(client, "maria", "wrong")
    response = sign_in(client, "maria", "pw")
    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    text = response.text
    assert "Sign-in locked" in text
    assert "Too many failed sign-ins for this account or from this address" in text
    assert "15 minutes" in text
    assert "Even the right password is refused" in text
    assert 'name="password"' not in text  # no form to keep guessing in


def test_a_correct_password_is_refused_until_the_cool_off_ends(client, maria):
    for _ in range(5):
        sign_in(client, "maria", "wrong")
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=14)):
        assert sign_in(client, "maria", "pw").status_code == 429
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=31)):
        assert sign_in(client, "maria", "pw").status_code == 302
        assert signed_in(client)


def test_a_success_resets_the_count(client, maria):
    for _ in range(4):
        sign_in(client, "maria", "wrong")
    assert sign_in(client, "maria", "pw").status_code == 302
    client.logout()
    for _ in range(4):
        assert sign_in(client, "maria", "wrong").status_code == 200
    assert sign_in(client, "maria", "pw").status_code == 302


def test_failures_are_kept_in_the_database_for_every_process(client, maria):
    for _ in range(3):
        sign_in(client, "maria", "wrong", address="198.51.100.7")
    attempt = AccessAttempt.objects.get(username="maria")
    assert (attempt.ip_address, attempt.failures_since_start) == ("198.51.100.7", 3)
    assert "wrong" not in attempt.post_data  # the password is never stored


def test_a_forged_forwarded_header_is_ignored_without_a_trusted_proxy(client, maria):
    for n in range(5):
        sign_in(client, f"guess{n}", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert sign_in(client, "maria", "pw").status_code == 429


def test_behind_a_trusted_proxy_the_address_is_the_one_the_proxy_appended(client, maria, settings):
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    for n in range(5):
        # The client forges the first entry; the proxy appends the real address.
        sign_in(client, f"guess{n}", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 198.51.100.99")
    assert AccessAttempt.objects.filter(ip_address="198.51.100.99").count() == 5
    locked = sign_in(client, "maria", "pw", HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.99")
    assert locked.status_code == 429
    other = sign_in(client, "maria", "pw", HTTP_X_FORWARDED_FOR="198.51.100.99, 192.0.2.1")
    assert other.status_code == 302
