"""
``/readyz``: whether this deployment can do its work, for a load balancer and for monitoring.

Unlike ``/healthz`` (the process answers), it checks what the work needs: the database, the
cache, the media storage, and that the periodic jobs ran lately (``Heartbeat``: the worker's
tick, or cron's ``run_periodic``). Any failure answers 503 with what failed. Nothing is
written; errors are named by their type only, so the answer leaks no host names.
"""

import datetime
import os
import shutil
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ..cache import get_or_raise
from ..models import Heartbeat


def _failed(error):
    return f"error: {type(error).__name__}"


def check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return _failed(error)
    return "ok"


def check_cache():
    try:
        get_or_raise(cache, "readyz:probe")
    except Exception as error:
        return _failed(error)
    return "ok"


def check_storage():
    try:
        if settings.MEDIA_STORAGE == "filesystem":
            # The folder is made by the first upload: until then, the nearest one above it.
            folder = Path(default_storage.location)
            while not folder.exists() and folder != folder.parent:
                folder = folder.parent
            if not os.access(folder, os.W_OK):
                return "error: the media folder is not writable"
            free = shutil.disk_usage(folder).free
            if free < settings.READY_MIN_FREE_BYTES:
                return f"error: {free // 2**20} MiB free in the media folder"
        else:
            default_storage.exists("readyz-probe")
    except Exception as error:
        return _failed(error)
    return "ok"


def check_periodic(now):
    """The last run of the periodic jobs; late after READY_TICK_LATE_SECONDS."""
    try:
        beat = Heartbeat.objects.filter(name="periodic").first()
    except Exception as error:
        return {"status": _failed(error), "last_run": None}
    if beat is None:
        return {"status": "error: never ran", "last_run": None}
    late = now - beat.at > datetime.timedelta(seconds=settings.READY_TICK_LATE_SECONDS)
    return {
        "status": f"error: late by {int((now - beat.at).total_seconds())} s" if late else "ok",
        "last_run": beat.at.isoformat(),
    }


@never_cache
@require_safe
def readyz(request):
    now = timezone.now()
    checks = {
        "database": check_database(),
        "cache": check_cache(),
        "storage": check_storage(),
    }
    periodic = check_periodic(now) if checks["database"] == "ok" else None
    ready = all(value == "ok" for value in checks.values()) and periodic["status"] == "ok"
    body = {"ready": ready, **checks, "periodic": periodic or {"status": "unknown"}}
    return JsonResponse(body, status=200 if ready else 503)
