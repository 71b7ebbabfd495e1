"""Errors reach someone: ADMINS from the environment, Sentry when SENTRY_DSN is set."""

import pytest
from django.core import mail
from django.test import Client

from .test_settings import manage

PRODUCTION = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "k" * 60, "DJANGO_ALLOWED_HOSTS": "x.io"}


def test_admins_come_from_the_environment_and_hear_of_the_platforms_errors():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.ADMINS, s.LOGGING['loggers']['qa']['handlers'])",
        DJANGO_ADMINS="ann@example.com, ops@example.com",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "['ann@example.com', 'ops@example.com'] ['console', 'mail_admins']"
    )


def test_no_admins_no_mail_handler():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.ADMINS, 'qa' in s.LOGGING['loggers'])",
        **PRODUCTION,
    )
    assert result.stdout.strip().splitlines()[-1] == "[] False"


@pytest.mark.django_db
def test_a_server_error_is_mailed_to_the_admins(settings, monkeypatch):
    from qa import selectors

    settings.ADMINS = ["ann@example.com"]
    settings.DEBUG = False

    def broken(*args, **kwargs):
        raise RuntimeError("the front page broke")

    monkeypatch.setattr(selectors, "published_columns", broken)
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    (report,) = [m for m in mail.outbox if m.to == ["ann@example.com"]]
    assert "the front page broke" in report.body or "RuntimeError" in report.subject + report.body


def test_sentry_dsn_without_the_extra_is_refused_with_the_fix():
    try:
        import sentry_sdk  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("sentry-sdk is installed here")
    result = manage("check", SENTRY_DSN="https://key@sentry.example.com/1", **PRODUCTION)
    assert result.returncode != 0
    assert "uv sync --extra sentry" in result.stderr


def test_sentry_is_started_with_the_dsn_and_without_personal_data(tmp_path):
    """A stand-in sentry_sdk on the path records how the settings start it."""
    stub = tmp_path / "sentry_sdk"
    stub.mkdir()
    (stub / "__init__.py").write_text(
        "import json, os\n"
        "def init(**options):\n"
        "    open(os.environ['SENTRY_STUB_OUT'], 'w').write(json.dumps(options))\n"
    )
    out = tmp_path / "init.json"
    result = manage(
        "check",
        SENTRY_DSN="https://key@sentry.example.com/1",
        SENTRY_STUB_OUT=str(out),
        PYTHONPATH=str(tmp_path),
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    import json

    options = json.loads(out.read_text())
    assert options == {
        "dsn": "https://key@sentry.example.com/1",
        "environment": "production",
        "send_default_pii": False,
        "traces_sample_rate": 0.0,
    }


def test_the_same_error_is_mailed_once_per_interval():
    import logging

    from qa.logfilters import OncePerInterval

    throttle = OncePerInterval(seconds=600)

    def record(message, name="qa.views.errors"):
        return logging.LogRecord(name, logging.ERROR, __file__, 1, message, (), None)

    assert throttle.filter(record("Database unavailable for %s %s")) is True
    assert throttle.filter(record("Database unavailable for %s %s")) is False
    assert throttle.filter(record("Gave up on email %s")) is True
    assert throttle.filter(record("Database unavailable for %s %s", name="qa.other")) is True
