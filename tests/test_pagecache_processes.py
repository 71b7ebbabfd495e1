"""
The page cache across processes: gunicorn with two workers serves a column page from its
cache; a third process (as the task worker or a command would) corrects the column; one second
later every request, to either worker, gets the corrected page.

Run on the embedded deployment (SQLite, no Redis: each worker keeps its pages in its own
memory) and on PostgreSQL with Redis (skipped unless DATABASE_URL is PostgreSQL and REDIS_URL
is set). Every process started is stopped, and every wait is bounded.
"""

import os
import re
import secrets
import subprocess
import time
import urllib.request

import pytest
from django.db import connection

from .processes import GUNICORN, PYTHON, ROOT, free_port, process, wait_for

CORRECTED = "Corrected in another process"


def base_env(database_url, redis_url=None):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "GUNICORN_", "PAGE_CACHE_", "REDIS_", "CACHE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="panel.settings",
        DATABASE_URL=database_url,
        LOG_LEVEL="WARNING",
        GUNICORN_ACCESS_LOG="",
        PYTHONUNBUFFERED="1",
    )
    if redis_url:
        env.update(REDIS_URL=redis_url, CACHE_KEY_PREFIX=f"processes-{secrets.token_hex(4)}")
    return env


def manage(env, *args, code=None):
    command = [PYTHON, "manage.py", *args] + (["-c", code] if code else [])
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    return result.stdout


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
        return response.read().decode()


def served_everywhere_within_a_second(env, tmp_path):
    manage(env, "load_demo")
    port = free_port()
    server_env = {**env, "WEB_CONCURRENCY": "2", "GUNICORN_BIND": f"127.0.0.1:{port}"}
    command = [GUNICORN, "-c", "gunicorn.conf.py", "panel.wsgi"]
    with process(command, server_env, tmp_path / "gunicorn.log"):
        site = f"http://127.0.0.1:{port}"

        def answers():
            try:
                return bool(get(f"{site}/healthz"))
            except OSError:
                return False

        wait_for(answers, timeout=60, what="gunicorn")
        slug = re.search(r'href="/columns/([^"/?]+)/"', get(f"{site}/")).group(1)
        page = f"{site}/columns/{slug}/"
        for _ in range(30):  # both workers render it once, then serve it from their caches
            assert CORRECTED not in get(page)
        manage(
            env,
            "shell",
            code=(
                "from qa.models import Column\n"
                "from qa.services import column_correct\n"
                f"column = Column.objects.get(slug={slug!r})\n"
                f"column_correct(column=column, changes={{'title': {CORRECTED!r}}}, by=None)\n"
            ),
        )
        time.sleep(1.0)
        pages = [get(page) for _ in range(20)] + [get(f"{site}/") for _ in range(10)]
        assert all(CORRECTED in html for html in pages)


def test_sqlite_without_redis(tmp_path):
    env = base_env(f"sqlite:///{tmp_path / 'site.sqlite3'}")
    env["MEDIA_ROOT"] = str(tmp_path / "media")
    manage(env, "migrate", "--no-input", "--verbosity", "0")
    served_everywhere_within_a_second(env, tmp_path)


@pytest.mark.skipif(
    connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"),
    reason="needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)",
)
@pytest.mark.django_db(transaction=True)
def test_postgresql_with_redis(tmp_path, committed_roles):
    settings_dict = connection.settings_dict
    database = (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}@"
        f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/"
        f"{settings_dict['NAME']}"
    )
    env = base_env(database, os.environ["REDIS_URL"])
    env["MEDIA_ROOT"] = str(tmp_path / "media")
    served_everywhere_within_a_second(env, tmp_path)
