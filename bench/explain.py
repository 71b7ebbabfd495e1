"""
The query plans behind every list the site and the admin serve: ``python bench/explain.py``
in the benchmark's environment (DATABASE_URL of the generated data). Prints, for each list,
the SQL's plan from ``EXPLAIN (ANALYZE, BUFFERS)``; docs/performance.md quotes them.

Each list is built by the code that serves it (selectors, the views' paginators, the admin's
querysets), so a plan here is the plan in production.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")

import django  # noqa: E402

django.setup()

from django.contrib.admin.sites import site  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402

from qa import selectors  # noqa: E402
from qa.models import Category, Column, Expert, Question  # noqa: E402
from qa.paginators import CappedPaginator  # noqa: E402
from qa.search import search_columns  # noqa: E402
from qa.similar import pool_rows  # noqa: E402
from qa.views.public import EXPERT_ANSWERS_PER_PAGE, PER_PAGE, ArchivePaginator  # noqa: E402

SEARCH_QUERY = os.environ.get("EXPLAIN_SEARCH", "interview salary")


def admin_changelist(model, user):
    request = RequestFactory().get("/")
    request.user = user
    model_admin = site._registry[model]
    return model_admin.get_changelist_instance(request)


def lists():
    editor = get_user_model().objects.get(username="bench-editor")
    columns = selectors.published_columns()
    archive = ArchivePaginator(columns, PER_PAGE)
    category = Category.objects.order_by("pk").first()
    topic = ArchivePaginator(columns.filter(category=category), PER_PAGE)

    def last_page(paginator):
        # What ArchivePaginator.page() runs for the last page: the first rows in reverse.
        return paginator.object_list.reverse()[
            : paginator.count - (paginator.num_pages - 1) * paginator.per_page
        ]

    newest = Column.objects.published().order_by("-published_at").first()
    expert = Expert.objects.filter(answers__column=newest).order_by("pk").first()
    answers = selectors.expert_answers(expert)
    queue = admin_changelist(Question, editor)
    column_list = admin_changelist(Column, editor)
    return {
        "home, latest columns": columns[:7],
        "archive, first page": archive.page(1).object_list,
        "archive, last page (read in reverse)": last_page(archive),
        f"topic {category.slug}, last page": last_page(topic),
        "expert profile, first page of answers": answers[:EXPERT_ANSWERS_PER_PAGE],
        "expert profile, stamp and count": answers.order_by(),
        f"search {SEARCH_QUERY!r}, first page": search_columns(SEARCH_QUERY)[:10],
        "admin question queue, first page": queue.queryset[: queue.list_per_page],
        "admin question queue, capped count": queue.queryset[: CappedPaginator.cap + 1],
        "admin question queue, similar pool (its stamp aggregates these rows)": pool_rows(),
        "admin column list, first page": column_list.queryset[: column_list.list_per_page],
    }


def plan(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main():
    if connection.vendor != "postgresql":
        raise SystemExit("EXPLAIN here is PostgreSQL's: set DATABASE_URL to the bench database.")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    for name, queryset in lists().items():
        print(f"## {name}\n")
        print(plan(queryset))
        print()


if __name__ == "__main__":
    main()
