"""The database is unreachable: every page answers 503 with Retry-After, never a traceback."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import InterfaceError, OperationalError
from django.db.backends.utils import CursorWrapper

ROOT = Path(__file__).resolve().parent.parent


def database_down(monkeypatch, error=OperationalError):
    def refuse(*args, **kwargs):
        raise error("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", refuse)
    monkeypatch.setattr(CursorWrapper, "executemany", refuse)


def assert_database_unavailable(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    text = response.content.decode()
    assert "Back shortly" in text
    assert "Traceback" not in text
    assert "Connection refused" not in text
    assert "OperationalError" not in text


@pytest.mark.django_db
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
@pytest.mark.parametrize("path", ["/", "/columns/any/", "/topics/any/", "/experts/any/"])
def test_a_page_answers_503_when_the_database_is_down(client, monkeypatch, path, error):
    client.get("/healthz")  # a connection opened before the outage, as in a running server
    database_down(monkeypatch, error)
    assert_database_unavailable(client.get(path))


@pytest.mark.django_db
def test_503_even_with_debug_on(client, monkeypatch, settings):
    settings.DEBUG = True
    database_down(monkeypatch)
    assert_database_unavailable(client.get("/"))


@pytest.mark.django_db
def test_a_signed_in_editor_gets_503_too(editor_client, monkeypatch):
    database_down(monkeypatch)
    assert_database_unavailable(editor_client.get("/admin/qa/column/"))


@pytest.mark.django_db
def test_signing_in_answers_503_not_a_wrong_password(client, monkeypatch):
    database_down(monkeypatch)
    response = client.post("/admin/login/", {"username": "maria", "password": "pw"})
    assert_database_unavailable(response)


@pytest.mark.django_db
def test_the_outage_is_logged(client, monkeypatch, caplog):
    database_down(monkeypatch)
    client.get("/")
    assert "Database unavailable for GET /" in caplog.text


@pytest.mark.django_db
def test_other_errors_are_not_dressed_up_as_503(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError

    monkeypatch.setattr("qa.selectors.published_columns", broken)
    with pytest.raises(ZeroDivisionError):
        client.get("/")


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_real_unreachable_database_answers_503(tmp_path):
    """A whole process with DATABASE_URL at a closed port (or a SQLite file it can't open)."""
    current = os.environ.get("DATABASE_URL", "")
    if current.startswith("postgres"):
        url = f"postgres://postgres@127.0.0.1:{closed_port()}/unreachable"
    else:
        url = f"sqlite:///{tmp_path}/missing-folder/db.sqlite3"
    script = (
        "from django.test import Client; "
        "c = Client(raise_request_exception=False); "
        "r = c.get('/', secure=True); print(r.status_code, r['Retry-After']); "
        "print('TRACEBACK' if b'Traceback' in r.content else 'clean')"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update({"DATABASE_URL": url, "DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "x" * 60})
    environment["DJANGO_ALLOWED_HOSTS"] = "testserver"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-3:] == ["503", "30", "clean"]
