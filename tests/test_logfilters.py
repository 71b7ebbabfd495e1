"""The logs name the page asked for, never the token of a private link."""

import logging
import secrets

import pytest

from qa.logfilters import PrivateLinks
from qa.logfilters import redact_private_links as redact

TOKEN = secrets.token_urlsafe(24)


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (f"/questions/{TOKEN}/", "/questions/<token>/"),
        (f"/questions/{TOKEN}/data.json", "/questions/<token>/data.json"),
        (f"/questions/{TOKEN}/delete/?x=1", "/questions/<token>/delete/?x=1"),
        (f"/newsletter/confirm/{TOKEN}/", "/newsletter/confirm/<token>/"),
        (f"/newsletter/preferences/{TOKEN}/", "/newsletter/preferences/<token>/"),
        (f"/newsletter/unsubscribe/{TOKEN}/", "/newsletter/unsubscribe/<token>/"),
        (f"/admin/reset/MTI/{TOKEN}/", "/admin/reset/MTI/<token>/"),
        ("/admin/reset/MTI/set-password/", "/admin/reset/MTI/set-password/"),
        (f"/admin/welcome/MTI/{TOKEN}/", "/admin/welcome/MTI/<token>/"),
        ("/columns/a-column/", "/columns/a-column/"),
        ("/newsletter/", "/newsletter/"),
    ],
)
def test_a_private_links_token_is_replaced(path, logged):
    assert redact(path) == logged


def test_a_django_log_record_naming_a_private_link_is_redacted():
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s",
        (f"/questions/{TOKEN}/",), None,
    )  # fmt: skip
    assert PrivateLinks().filter(record)
    assert record.getMessage() == "Not Found: /questions/<token>/"
