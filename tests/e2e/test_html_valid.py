"""
Every kind of public page, with the demo's content and with a column published through the
services (real timestamps), checked by the W3C Nu HTML Checker (npm's vnu-jar, run by Java).
All pages go to one run of the checker: one JVM start for the lot. ``make e2e`` installs both.
"""

import json
import shutil
import subprocess

import pytest
from django.test import Client, RequestFactory
from django.test.utils import override_settings

from qa.demo import demo_load
from qa.models import Column, Expert
from qa.views import ask, errors

from ..factories import EditorFactory
from ..published import publish_through_services
from .conftest import ROOT

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def run_checker(files):
    java = shutil.which("java")
    if not java or not VNU.exists():
        pytest.fail("`make e2e` installs Java (default-jre-headless) and vnu-jar (npm ci).")
    result = subprocess.run(
        [
            java,
            "-Xss2m",
            "-jar",
            str(VNU),
            "--format",
            "json",
            "--exit-zero-always",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return json.loads(result.stderr)["messages"]


def public_pages(client, published, demo_expert):
    column = published.column
    question = published.question
    pages = {
        "home": "/",
        "archive": "/columns/",
        "archive-page-2": "/columns/?page=2",
        "column": column.get_absolute_url(),
        "topic": column.category.get_absolute_url(),
        "panel": "/experts/",
        "profile-with-headshot": published.experts[0].get_absolute_url(),
        "profile-without-headshot": published.experts[1].get_absolute_url(),
        "demo-profile": demo_expert.get_absolute_url(),
        "search-empty": "/search/",
        "search-found": "/search/?q=facebook",
        "search-nothing": "/search/?q=zyzzogeton",
        "ask": "/ask/",
        "question-status": question.get_status_url(),
        "question-sent": f"/questions/{question.token}/sent/",
        "question-delete": f"/questions/{question.token}/delete/",
        "not-found": "/columns/no-such-column/",
    }
    out = {}
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code in (200, 404), (name, url, response.status_code)
        out[name] = response.content
    return out


def test_every_public_page_kind_validates(tmp_path, settings):
    settings.DEBUG = False
    demo_load()
    editor = EditorFactory(username="validator-editor")
    published = publish_through_services(editor)
    assert published.column.published_at.microsecond or published.question.created_at.microsecond
    demo_expert = Expert.objects.published().exclude(pk__in=[e.pk for e in published.experts])[0]

    client = Client()
    pages = public_pages(client, published, demo_expert)
    demo_columns = Column.objects.published().exclude(pk=published.column.pk)[:2]
    for number, column in enumerate(demo_columns):
        pages[f"demo-column-{number}"] = client.get(column.get_absolute_url()).content

    request = RequestFactory().get("/ask/")
    request.csp_nonce = "x" * 22
    with override_settings(DEBUG=False):
        pages["ask-limited"] = ask.limited(request, 120).content
        pages["server-error"] = errors.server_error(request).content
        pages["database-down"] = errors.database_unavailable(request, Exception()).content

    files = []
    for name, content in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_bytes(content)
        files.append(path)
    messages = run_checker(files)
    problems = [
        f"{m['url'].rsplit('/', 1)[-1]}:{m.get('lastLine')}: {m['message']} "
        f"[{m.get('extract', '').strip()[:120]}]"
        for m in messages
        if m["type"] == "error" or m.get("subType") == "warning"
    ]
    errors_seen = [m for m in messages if m["type"] == "error"]
    warnings_seen = [m for m in messages if m.get("subType") == "warning"]
    print(
        f"\nNu HTML Checker: {len(files)} pages, {len(errors_seen)} errors, "
        f"{len(warnings_seen)} warnings"
    )
    assert problems == [], "\n".join(problems)
