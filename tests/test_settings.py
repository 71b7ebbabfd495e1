import os
import re
import subprocess
import sys
from html.parser import HTMLParser
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


def test_production_defaults_to_the_database_task_backend_logs_to_stdout_and_requires_2fa():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.TASKS['default']['BACKEND'], s.LOGGING['handlers']['console']['stream'], "
        "s.STORAGES['staticfiles']['BACKEND'], s.DATABASES['default']['CONN_MAX_AGE'], "
        "s.DATABASES['default']['CONN_HEALTH_CHECKS'], s.STAFF_2FA_REQUIRED)",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="k" * 60,
        DJANGO_ALLOWED_HOSTS="panel.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-6:] == [
        "django_tasks_db.DatabaseBackend",
        "ext://sys.stdout",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "60",
        "True",
        "True",  # editors must sign in with a second factor
    ]


def test_development_runs_tasks_inline():
    result = manage(
        "shell", "-c", "from django.conf import settings as s; print(s.TASKS['default'])"
    )
    assert result.returncode == 0, result.stderr
    assert "django.tasks.backends.immediate.ImmediateBackend" in result.stdout


def test_s3_media_storage_needs_its_extra_or_names_the_bucket():
    """MEDIA_STORAGE=s3 never falls back to local files silently."""
    result = manage("check", MEDIA_STORAGE="s3", AWS_STORAGE_BUCKET_NAME="panel-media")
    try:
        import storages  # noqa: F401
    except ImportError:
        assert result.returncode != 0
        assert "uv sync --extra s3" in result.stderr
    else:
        assert result.returncode == 0, result.stderr
        missing_bucket = manage("check", MEDIA_STORAGE="s3")
        assert "AWS_STORAGE_BUCKET_NAME" in missing_bucket.stderr


def test_an_unknown_media_storage_is_refused():
    result = manage("check", MEDIA_STORAGE="ftp")
    assert result.returncode != 0
    assert "MEDIA_STORAGE must be 'filesystem' or 's3', not 'ftp'" in result.stderr


class CSPAudit(HTMLParser):
    """Collects what a strict CSP would block: un-nonced inline code, style and on* attributes."""

    def __init__(self, nonce):
        super().__init__()
        self.nonce = nonce
        self.blocked = []
        self.inline_open = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in attrs:
            if name == "style" or name.startswith("on"):
                self.blocked.append(f"<{tag} {name}=...>")
        if tag in {"script", "style"} and not attrs.get("src"):
            if tag == "script" and attrs.get("type") in {"application/json", "text/template"}:
                return
            if attrs.get("nonce") != self.nonce:
                self.blocked.append(f"inline <{tag}> without the nonce")


def csp_blocked(response):
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    audit = CSPAudit(nonce)
    audit.feed(response.content.decode())
    return audit.blocked


@pytest.mark.django_db
def test_admin_pages_run_under_the_strict_csp(client):
    """Every admin page an editor or expert uses loads no script or style the CSP would block."""
    from .factories import AnswerFactory, EditorFactory, ExpertUserFactory

    expert_user = ExpertUserFactory(username="csp-expert")
    answer = AnswerFactory(expert=expert_user.expert, status="draft")
    editor = EditorFactory(username="csp-editor")

    assert client.get("/admin/login/").status_code == 200
    assert csp_blocked(client.get("/admin/login/")) == []

    client.force_login(editor)
    for url in [
        "/admin/",
        "/admin/qa/question/",
        "/admin/qa/column/calendar/",
        "/admin/qa/column/panel/",
        f"/admin/qa/column/{answer.column_id}/change/",
        f"/admin/qa/column/{answer.column_id}/invite/",
        f"/admin/qa/column/{answer.column_id}/schedule/",
        f"/admin/qa/answer/{answer.pk}/change/",
        "/admin/qa/expert/add/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert csp_blocked(response) == [], url

    client.force_login(expert_user)
    assert csp_blocked(client.get("/admin/")) == []
    response = client.get(f"/admin/qa/answer/{answer.pk}/change/")
    assert response.status_code == 200
    assert b"markdownx" in response.content
    assert csp_blocked(response) == []
