import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def manage(*args, **env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key != "DATABASE_URL"
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_ALLOWED_HOSTS": "example.com"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "x" * 60}, "DJANGO_ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_to_start_without_its_secrets(env, missing):
    result = manage("check", DJANGO_DEBUG="0", **env)
    assert result.returncode != 0
    assert missing in result.stderr
    assert "django-insecure" not in result.stdout + result.stderr


def test_production_starts_with_only_the_two_mandatory_variables():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.SECRET_KEY, s.ALLOWED_HOSTS, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, "
        "s.SECURE_PROXY_SSL_HEADER, s.SECURE_HSTS_SECONDS > 0)",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="k" * 60,
        DJANGO_ALLOWED_HOSTS="panel.example.com, www.example.com",
    )
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip().splitlines()[-1]
    assert line == (
        "k" * 60 + " ['panel.example.com', 'www.example.com'] True True "
        "('HTTP_X_FORWARDED_PROTO', 'https') True"
    )


def test_database_url_and_redis_url_are_read():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'])",
        DATABASE_URL="postgres://u@db.invalid:5432/panel",
        REDIS_URL="redis://cache.invalid:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == [
        "django.db.backends.postgresql",
        "qa.cache.ResilientRedisCache",
    ]
