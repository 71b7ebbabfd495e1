"""
Search at scale: ``python bench/search.py [QUERY ...] [--runs N] [--no-plans]``.

Run it with the benchmark's DATABASE_URL (PostgreSQL with generated data). For each query
(default: the benchmark's queries, a word that matches nothing, and the five words
``columns_like`` looks up for the oldest new question), prints ``EXPLAIN (ANALYZE, BUFFERS)``
of the two statements the search page runs, its first page and its count, captured from the
code that serves them, then times ``search_columns(q)[:10]`` plus ``.count()`` in this process
N times (default 50) and prints a table: matches, mean, median, p95 and worst, in ms.
docs/performance.md quotes them.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from qa.models import Question  # noqa: E402
from qa.search import search_columns, significant_words  # noqa: E402

QUERIES = ["interview salary", "salary", "negotiation offer", "zyzzyva"]


def default_queries():
    question = Question.objects.filter(status=Question.Status.NEW).order_by("pk").first()
    return QUERIES + (significant_words(question.body) if question else [])


def one_search(query):
    """The first page and the count, as the search page asks for them."""
    columns = list(search_columns(query)[:10])
    return columns, search_columns(query).count()


def plans(query):
    with CaptureQueriesContext(connection) as captured:
        one_search(query)
    with connection.cursor() as cursor:
        for name, executed in zip(["first page", "count"], captured.captured_queries, strict=True):
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {executed['sql']}")
            print(f"## {query!r}, {name}\n")
            print("\n".join(row[0] for row in cursor.fetchall()))
            print()


def timings(query, runs):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        _columns, count = one_search(query)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[max(0, round(0.95 * runs) - 1)]
    return count, statistics.mean(times), statistics.median(times), p95, times[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("queries", nargs="*")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--no-plans", action="store_true")
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("This measures PostgreSQL's search: set DATABASE_URL to the bench data.")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    queries = options.queries or default_queries()
    if not options.no_plans:
        for query in queries:
            plans(query)
    print(f"{options.runs} runs of search_columns(q)[:10] and .count(), in ms\n")
    print("| query | matches | mean | median | p95 | worst |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for query in queries:
        count, mean, median, p95, worst = timings(query, options.runs)
        print(f"| {query!r} | {count} | {mean:.1f} | {median:.1f} | {p95:.1f} | {worst:.1f} |")
    print("\nload average: " + " ".join(f"{load:.2f}" for load in os.getloadavg()))


if __name__ == "__main__":
    main()
