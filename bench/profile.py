"""
Where a page's time goes: ``python bench/profile.py PATH [--editor] [--repeat N]``.

Runs in the benchmark's environment (DATABASE_URL, REDIS_URL and DJANGO_DEBUG=0 as
``make bench`` sets them; pass them yourself), requests PATH N times (default 20) with the test
client, as a reader or as the benchmark's editor, after one warm-up request, with pyinstrument
watching, and prints the call tree, the SQL query count and the mean time per request. The
page cache is cleared before every request, so a cached page is measured only with
``--cached``.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from pyinstrument import Profiler  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("path")
    parser.add_argument("--editor", action="store_true", help="as the bench-editor account")
    parser.add_argument("--cached", action="store_true", help="keep the page cache")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--time-only", action="store_true", help="time, without the profiler")
    options = parser.parse_args()

    client = Client(HTTP_HOST="127.0.0.1")
    if options.editor:
        client.force_login(get_user_model().objects.get(username="bench-editor"))
    response = client.get(options.path, secure=True)
    print(f"{options.path}: {response.status_code}", file=sys.stderr)

    profiler = Profiler(interval=0.0005)
    elapsed = 0.0
    with CaptureQueriesContext(connection) as queries:
        for _ in range(options.repeat):
            if not options.cached:
                cache.clear()
            started = time.perf_counter()
            if options.time_only:
                client.get(options.path, secure=True)
            else:
                profiler.start()
                client.get(options.path, secure=True)
                profiler.stop()
            elapsed += time.perf_counter() - started
    if not options.time_only:
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))
    seen = set()
    for query in slowest:
        if query["sql"][:300] not in seen and len(seen) < 5:
            seen.add(query["sql"][:300])
            print(f"{float(query['time']) * 1000:8.1f} ms  {query['sql'][:300]}")
    print(
        f"{len(queries) / options.repeat:.1f} SQL queries and "
        f"{elapsed / options.repeat * 1000:.1f} ms per request (over {options.repeat})"
    )


if __name__ == "__main__":
    main()
