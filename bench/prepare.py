"""
The benchmark's Django side, run in the production environment ``run.py`` builds: the data
(once), an editor's session for the admin row, the URLs of each row, and the SQL queries each
page makes, counted with the test client (never inside the server being measured).

Prints one JSON object as the last line on stdout.
"""

import json
import os
import sys
from math import ceil
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")

import django  # noqa: E402

django.setup()

from django.contrib.staticfiles.storage import staticfiles_storage  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from devdata.scale import statistics_refresh  # noqa: E402
from qa.models import Column, Expert, Question  # noqa: E402
from qa.search import search_columns  # noqa: E402
from qa.services import editor_account_ensure  # noqa: E402
from qa.views.public import PER_PAGE  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from askform import form_fields  # noqa: E402

SCALE = {
    "columns": int(os.environ.get("BENCH_COLUMNS", "5000")),
    "questions": int(os.environ.get("BENCH_QUESTIONS", "100000")),
    "experts": int(os.environ.get("BENCH_EXPERTS", "500")),
    "answers_per_column": 6,
}
ROTATING_COLUMNS = 2000
# Rows served from the page cache once the first request has filled it.
PAGE_CACHED = {"column_cached", "home", "expert", "archive_last"}
SEARCH_QUERY = "interview salary"


def log(message):
    print(message, file=sys.stderr, flush=True)


def data_ensure():
    call_command("migrate", "--no-input", verbosity=0)
    have = Column.objects.published().count(), Question.objects.count()
    if have[0] >= SCALE["columns"] and have[1] >= SCALE["questions"]:
        log(f"data: cached ({have[0]} published columns, {have[1]} questions)")
        statistics_refresh()  # cheap, and the planner's estimates are then current
        return
    log(f"data: generating {SCALE} ...")
    call_command(
        "generate_data",
        columns=SCALE["columns"],
        questions=SCALE["questions"],
        experts=SCALE["experts"],
        answers_per_column=SCALE["answers_per_column"],
        seed=1,
    )


def editor_session():
    # No usable password: the session is made with force_login.
    user = editor_account_ensure(username="bench-editor", password=None, exists_ok=True)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return user, client.cookies["sessionid"].value


def count(client, method, path, data=None):
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(path, data=data, secure=True)
    return response, len(queries)


def main():
    data_ensure()
    editor, session = editor_session()
    columns = list(
        Column.objects.published()
        .order_by("-published_at")
        .values_list("slug", flat=True)[:ROTATING_COLUMNS]
    )
    newest = Column.objects.published().order_by("-published_at").first()
    expert = Expert.objects.filter(answers__column=newest).order_by("pk").first()
    paths = {
        "healthz": "/healthz",
        "static": staticfiles_storage.url("css/site.css"),
        "home": "/",
        "column_uncached": f"/columns/{columns[0]}/",
        "column_cached": f"/columns/{newest.slug}/",
        "expert": expert.get_absolute_url(),
        # The paginator reads a page number only ("last" would serve the first page).
        "archive_last": f"/columns/?page={ceil(Column.objects.published().count() / PER_PAGE)}",
        "search": "/search/?" + "q=" + SEARCH_QUERY.replace(" ", "+"),
        "ask": "/ask/",
        "admin_questions": "/admin/qa/question/",
    }
    # A query string other than ?page=N skips the page cache: the page is rendered each time.
    for name in ("home", "expert", "archive_last"):
        path = paths[name]
        paths[f"{name}_rendered"] = path + ("&" if "?" in path else "?") + "rendered=1"

    reader = Client(HTTP_HOST="127.0.0.1")
    admin = Client(HTTP_HOST="127.0.0.1")
    admin.force_login(editor)
    rows = {}
    selected = {name for name in os.environ.get("BENCH_ROWS", "").split(",") if name}
    for name, path in paths.items():
        if selected and name not in selected | {"healthz"}:
            continue
        client = admin if name == "admin_questions" else reader
        cache.clear()
        if name in PAGE_CACHED:
            # Fill the page cache: the count is then of a page served from it.
            client.get(path, secure=True)
        if name == "ask":
            form, _ = count(client, "get", path)
            rows[name] = {"status": form.status_code, "queries": None}
            if form.status_code == 200:
                response, queries = count(client, "post", path, ask_post(form, client))
                rows[name] = {"status": response.status_code, "queries": queries}
                # A 200 is the form again, with errors: the row would not measure a send.
                if response.status_code != 302:
                    raise SystemExit(f"POST /ask/ was refused ({response.status_code})")
            continue
        response, queries = count(client, "get", path)
        rows[name] = {"status": response.status_code, "queries": queries}
        if name == "search":
            rows[name]["results"] = search_columns(SEARCH_QUERY).count()
            log(f"search {path}: {rows[name]['results']} columns found")
    print(
        json.dumps(
            {
                "paths": paths,
                "rows": rows,
                "columns": [f"/columns/{slug}/" for slug in columns],
                "session": session,
                "questions": Question.objects.count(),
                "published_columns": Column.objects.published().count(),
            }
        )
    )


def ask_post(form, client):
    return form_fields(form.content.decode())


if __name__ == "__main__":
    main()
