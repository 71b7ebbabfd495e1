"""/readyz under each failure: the database, the cache, the storage, a late periodic tick."""

import datetime
import shutil
import socket
from collections import namedtuple

import pytest
from django.db import OperationalError
from django.utils import timezone

from qa.models import Heartbeat
from qa.periodic import jobs_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticked(settings):
    settings.PERIODIC_JOBS = {}
    jobs_run()  # the worker's tick records its run
    return Heartbeat.objects.get(name="periodic")


def ready(client):
    response = client.get("/readyz")
    assert response["Cache-Control"].startswith("max-age=0")
    return response.status_code, response.json()


def test_ready_when_everything_answers(client, ticked):
    status, body = ready(client)
    assert status == 200
    assert body["ready"] is True
    assert body["database"] == body["cache"] == body["storage"] == "ok"
    assert body["periodic"] == {"status": "ok", "last_run": ticked.at.isoformat()}


def test_a_late_tick_is_503(client, ticked, settings):
    Heartbeat.objects.filter(name="periodic").update(
        at=timezone.now() - datetime.timedelta(seconds=settings.READY_TICK_LATE_SECONDS + 5)
    )
    status, body = ready(client)
    assert status == 503 and body["ready"] is False
    assert body["periodic"]["status"].startswith("error: late by ")
    assert client.get("/healthz").status_code == 200  # liveness is another question


def test_a_tick_that_never_ran_is_503(client):
    status, body = ready(client)
    assert status == 503 and body["periodic"]["status"] == "error: never ran"


def test_only_a_full_run_counts_as_the_tick(client, settings):
    settings.PERIODIC_JOBS = {"nothing": "builtins.list"}
    jobs_run(["nothing"])  # one job by hand is not the tick
    assert not Heartbeat.objects.exists()


def test_database_down_is_503(client, ticked, monkeypatch):
    from qa.views import ready as view

    class Down:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(view, "connection", Down())
    status, body = ready(client)
    assert status == 503
    assert body["database"] == "error: OperationalError"
    assert body["periodic"] == {"status": "unknown"}


def test_cache_down_is_503(client, ticked, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "qa.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/7",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    status, body = ready(client)
    assert status == 503
    assert body["cache"] == "error: ConnectionError"
    assert "127.0.0.1" not in str(body)


def test_a_full_media_disk_is_503(client, ticked, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 2**20, 2**20))
    status, body = ready(client)
    assert status == 503
    assert body["storage"] == "error: 1 MiB free in the media folder"


def test_a_media_folder_that_cannot_be_written_is_503(client, ticked, monkeypatch):
    import os

    monkeypatch.setattr(os, "access", lambda path, mode: False)
    status, body = ready(client)
    assert status == 503 and body["storage"] == "error: the media folder is not writable"


def test_readyz_is_exempt_from_the_https_redirect_in_production():
    from .test_settings import manage

    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.SECURE_REDIRECT_EXEMPT)",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="k" * 60,
        DJANGO_ALLOWED_HOSTS="panel.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert "'^readyz$'" in result.stdout and "'^healthz$'" in result.stdout
