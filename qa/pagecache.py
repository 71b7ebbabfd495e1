"""
The page cache, and why it never serves a page older than the database.

A rendered page is stored together with the *content generation* it was rendered under: a number
in the cache that moves on whenever a transaction that wrote to a table the public pages show
commits. Serving a cached page is one round trip to the cache (the generation and the page,
read together); a page stored under any other generation is a miss and is rendered again from
the database.

The writes are seen where they happen, in the database layer: every INSERT, UPDATE or DELETE
that Django sends to one of the watched tables marks its transaction, and the generation moves
on when that transaction commits (at once, in autocommit). A model's ``save()``, a queryset's
``update()``, ``bulk_create()`` and deletes are all seen alike, whichever process makes them; a
transaction rolled back moves nothing. A new reader question is the one write left out: it
cannot change a published page until an editor picks it, which is an UPDATE.

The ordering makes a race harmless: a page is stored under the generation read *before* its
queries ran, so a page rendered from data that a concurrent commit has since changed is stored
under a generation that is already gone.

Writes made outside Django (psql, a restore) are not seen: run ``manage.py pages_expire`` after
them, and when deploying templates that change pages. If the cache is unreachable when a
commit tries to move the generation on, a warning is logged and pages cached before it may be
served until they expire (``PAGE_CACHE_SECONDS``).

``PageCacheMiddleware`` serves the pages; a view opts in with ``@cached``.
"""

import functools
import hashlib
import logging
import re
import time

from django.core.cache import cache
from django.db import connections
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

logger = logging.getLogger(__name__)

GENERATION_KEY = "content-generation"
# Bump when templates change in a way that must not be served from an older cached copy (or run
# `manage.py pages_expire` when deploying).
PAGE_VERSION = "2"
PAGE_CACHE_SECONDS = 60 * 60
# Only these paths are looked up in the cache; views under them opt in with ``@cached``.
CACHED_PREFIXES = ("/columns/", "/topics/", "/experts/", "/feed/")
# The one query string a cached page may have: which page of a list.
_PAGE_QUERY = re.compile(r"page=[1-9][0-9]{0,5}")

# Table -> the statements on it that can change a public page.
ANY_WRITE = frozenset({"INSERT", "UPDATE", "DELETE"})
WATCHED = {
    "qa_column": ANY_WRITE,
    "qa_answer": ANY_WRITE,
    "qa_expert": ANY_WRITE,
    "qa_category": ANY_WRITE,
    "qa_publication": ANY_WRITE,
    "qa_question": frozenset({"UPDATE", "DELETE"}),
}

_WRITE = re.compile(r'\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+[`"\[]?(\w+)', re.IGNORECASE)


def written_table(sql):
    """The watched table ``sql`` writes to, or None: reads and other tables give None."""
    if sql[:1] in ("S", "s"):  # SELECT, SAVEPOINT: the common case, decided at once
        return None
    match = _WRITE.match(sql)
    if match is None:
        return None
    table = match.group(2).lower()
    statement = match.group(1).split()[0].upper()
    return table if statement in WATCHED.get(table, ()) else None


def content_changed():
    """Move the generation on: every page cached so far becomes a miss."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        # Not there yet (or evicted): any value no page was stored under will do.
        cache.set(GENERATION_KEY, time.time_ns(), None)


def _on_commit(alias):
    connection = connections[alias]
    if not connection.in_atomic_block:
        content_changed()
        return
    # One move per transaction, however many rows it writes.
    if any(entry[1] is content_changed for entry in connection.run_on_commit):
        return
    connection.on_commit(content_changed, robust=True)


def watch(execute, sql, params, many, context):
    """A database execute wrapper: run the statement, then note a write to a watched table."""
    result = execute(sql, params, many, context)
    if written_table(sql) is not None:
        _on_commit(context["connection"].alias)
    return result


def install(sender, connection, **kwargs):
    """``connection_created`` receiver: watch every connection Django opens."""
    if watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch)


def _key(name):
    return "page:" + hashlib.sha256(name.encode()).hexdigest()[:40]


def page_get(name):
    """
    ``(page, generation)``: the page stored under ``name`` if it was rendered under the current
    generation (else None), and the current generation to store a fresh rendering under.
    """
    key = _key(name)
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY)
    entry = found.get(key)
    if generation is not None and entry is not None and entry[0] == generation:
        return entry[1], generation
    if generation is None:
        cache.add(GENERATION_KEY, time.time_ns(), None)
        generation = cache.get(GENERATION_KEY)
    return None, generation


def page_set(name, generation, page, timeout):
    """Store ``page`` as rendered under ``generation`` (as ``page_get`` returned it)."""
    if generation is not None:
        cache.set(_key(name), (generation, page), timeout)


def cached(view):
    """Mark a view's successful responses as the same for every reader, for the page cache."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not getattr(request, "page_cache_skip", False):
            response.page_cache = True
        return response

    return wrapper


def skip(request):
    """Keep this response of a ``@cached`` view out of the cache."""
    request.page_cache_skip = True


# Headers SecurityMiddleware (outside this one) adds again to every response.
_OUTER = frozenset({"content-length"})


def _name(request):
    """The cache name of a request that may be served from the cache, else None."""
    if request.method not in ("GET", "HEAD"):
        return None
    if request.path != "/" and not request.path.startswith(CACHED_PREFIXES):
        return None
    query = request.META.get("QUERY_STRING", "")
    if query and not _PAGE_QUERY.fullmatch(query):
        return None
    return f"{PAGE_VERSION}:{request.path}?{query}"


def _storable(response):
    return (
        getattr(response, "page_cache", False)
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "cookie" not in response.get("Vary", "").lower()
    )


def _record(response):
    headers = [(k, v) for k, v in response.items() if k.lower() not in _OUTER]
    modified = parse_http_date_safe(response.get("Last-Modified", ""))
    return (headers, response.get("ETag"), modified, response.content)


def _replay(request, page):
    headers, etag, modified, content = page
    not_modified = get_conditional_response(request, etag=etag, last_modified=modified)
    response = not_modified if not_modified is not None else HttpResponse(content)
    for key, value in headers:
        response[key] = value
    if not_modified is not None:
        del response["Content-Type"]
    return response


class PageCacheMiddleware:
    """
    Serve opted-in pages from the cache before the session, authentication and the rest run:
    one round trip to the cache and no query. Placed right after SecurityMiddleware, so
    HTTPS redirects and security headers apply to cached pages as to any other; the headers
    the inner middleware and the view set (CSP, frame options, validators) are kept with the
    page. A conditional GET that matches gets 304.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = _name(request)
        if name is None:
            return self.get_response(request)
        page, generation = page_get(name)
        if page is not None:
            return _replay(request, page)
        response = self.get_response(request)
        if _storable(response):
            page_set(name, generation, _record(response), PAGE_CACHE_SECONDS)
        return response
