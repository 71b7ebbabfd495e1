"""
The page cache: public pages served without running their views, and never stale.

**Changing what readers see.** Code that changes something a public page shows calls
``pages_changed`` in the same transaction, saying what changed::

    pages_changed(column=column)               # a published column's text, answers, their order
    pages_changed(column=column, listed=True)  # published, unpublished, (un)featured
    pages_changed(expert=expert)               # an expert's public profile
    pages_changed(topic=category)              # a topic's name or description
    pages_changed()                            # anything else: every page (settings, imports)

The services, the importer and the admin's saves do this; a new service that changes a public
page must too (``tests/test_pagecache.py`` lists every service and fails on one it does not
know). Nothing else invalidates: drafts, invitations, reminders, questions, sign-ins and share
images leave every cached page alone. Writes made outside Django (psql, a restore) and template
changes at deploy need ``manage.py pages_expire``.

**What a page depends on.** Each change sets a new random version on rows of ``PageVersion``
named after what it touched: ``column:<id>``, ``expert:<id>``, ``topic:<id>``, ``lists`` (which
columns are published and in what order, and the names of experts and topics, which many list
pages show), ``site`` (every page), and ``*`` (any change). Each cached view says what it shows
with ``shows``, as it renders:

- a column page: its column, the columns it shows as related, its experts and its topic;
- home: its latest, recent and featured columns, and ``lists``;
- the archive: the columns of its page, and ``lists``;
- a topic: the columns of its page and the topic, whose ``topic:<id>`` moves whenever one of
  its columns is published or unpublished;
- an expert's profile: the expert, the columns of the answers on its page, and ``lists``;
- the panel: its experts and ``lists``;
- a feed: its items' columns, and ``lists``;
- a page that says nothing: ``lists``.

So a correction to one column (``column:<id>``) renders again the pages that show it and leaves
every other page cached: the other columns' pages, the other topics, the profiles of experts not
on it, the panel, and the feeds it is not in. A column published, unpublished, featured or no
longer (``listed=True``) reaches every list page but the other topics' (``lists``), and the
column pages of its topic (``topic:<id>``). A change to an expert or a topic reaches the pages
that show it, and every page that depends on ``lists``. A page is stored with the versions of
what it depends on, read after rendering; it is not stored if ``*`` moved while it rendered.

**Serving.** ``PageCacheMiddleware`` looks the page up in this process's own copy
(``local_pages``, the pages it served lately, at most ``PAGE_CACHE_LOCAL_BYTES``), then in the
default cache when that is shared (Redis), and serves it if ``*`` still has the version it was
stored under. The process's copy saves a round trip to Redis on every hit: with it a cached
column runs at the speed of ``/healthz`` (bench/results.md, "The page cache while the week's
work goes on").
Each process reads ``*`` from the database at most every ``PAGE_CACHE_POLL_SECONDS`` (0.5 s;
at once after its own change), so a change committed anywhere, by a web worker, the task worker
or a command, on any node, is served everywhere within that time. When ``*`` has moved, the
page's own versions are read (one query) and, if none changed, it is served and stamped with
the new ``*``. Because the versions live in the database, this holds alike on SQLite without
Redis and on PostgreSQL with Redis. When the database cannot be reached, a page stored before is
served as it was (nothing can change meanwhile); one never stored answers 503.

Only canonical addresses are stored: no query string, except ``?page=N`` when the view served
page N (N > 1; see ``page_served``). A view opts in with ``@cached``.
"""

import functools
import hashlib
import logging
import secrets
import threading
from collections import OrderedDict
from time import monotonic

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import InterfaceError, OperationalError, transaction
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

from .models import PageVersion

# Bump when templates change in a way that must not be served from an older cached copy (or run
# `manage.py pages_expire` when deploying); the list pages' ETags carry it too.
PAGE_VERSION = "4"
PAGE_CACHE_SECONDS = 60 * 60
# Only these paths are looked up in the cache; views under them opt in with ``@cached``.
CACHED_PREFIXES = ("/columns/", "/topics/", "/experts/", "/feed/")
ANY = "*"
logger = logging.getLogger(__name__)
SITE = "site"
LISTS = "lists"


def pages_changed(*, column=None, listed=False, expert=None, topic=None):
    """
    Record that what public pages show has changed (see the module's docstring); call it inside
    the transaction that makes the change. With no argument, every page.
    """
    names = set()
    if column is not None:
        names.add(f"column:{column.pk}")
        if listed:  # the lists it is in, and its topic's "related" columns, changed
            names |= {f"topic:{column.category_id}", LISTS}
    if expert is not None:
        names |= {f"expert:{expert.pk}", LISTS}
    if topic is not None:
        names |= {f"topic:{topic.pk}", LISTS}
    if not names:
        names = {SITE}
    version = secrets.randbits(62)
    PageVersion.objects.bulk_create(
        [PageVersion(name=name, version=version) for name in sorted(names | {ANY})],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["version"],
    )
    # This process reads ``*`` again at its next request, and again once the change commits.
    generation.expire()
    transaction.on_commit(generation.expire)


def shows(request, *, columns=(), experts=(), topics=(), lists=False):
    """
    What the page being rendered depends on: the columns, experts and topics it shows and, with
    ``lists``, which columns are published and in what order. A view that never calls it
    depends on ``lists`` alone.
    """
    request.page_shows = {
        *(f"column:{c.pk}" for c in columns),
        *(f"expert:{e.pk}" for e in experts),
        *(f"topic:{t.pk}" for t in topics),
        *([LISTS] if lists else []),
    }


def page_served(request, number):
    """A paginated view served page ``number`` as asked: ``?page=N`` may be stored."""
    if number > 1 and request.GET.get("page") == str(number):
        request.page_query_served = True


def _versions(names):
    """The current version of each name (None for one never changed): one query."""
    found = dict(PageVersion.objects.filter(name__in=names).values_list("name", "version"))
    return {name: found.get(name) for name in names}


class Generation:
    """The version of ``*`` as this process last read it, read again when it is too old."""

    def __init__(self):
        self.value, self.read_at = None, None

    def current(self):
        now = monotonic()
        if self.read_at is None or now - self.read_at >= settings.PAGE_CACHE_POLL_SECONDS:
            self.set(_versions([ANY])[ANY], now)
        return self.value

    def set(self, value, at=None):
        self.value, self.read_at = value, monotonic() if at is None else at

    def expire(self):
        self.read_at = None


generation = Generation()


def _key(name):
    return "page:" + hashlib.sha256(name.encode()).hexdigest()[:40]


class LocalPages:
    """
    The pages this process served lately, least recently used first out once their bodies pass
    ``PAGE_CACHE_LOCAL_BYTES``. Each entry is ``(stamp, versions, page)`` as in the shared cache.
    """

    def __init__(self):
        self.entries, self.size, self.lock = OrderedDict(), 0, threading.Lock()

    def get(self, name):
        with self.lock:
            entry = self.entries.get(name)
            if entry is not None:
                self.entries.move_to_end(name)
            return entry

    def set(self, name, entry):
        limit = settings.PAGE_CACHE_LOCAL_BYTES
        size = len(entry[2][3])
        with self.lock:
            old = self.entries.pop(name, None)
            if old is not None:
                self.size -= len(old[2][3])
            if size > limit:
                return
            self.entries[name] = entry
            self.size += size
            while self.size > limit:
                _, dropped = self.entries.popitem(last=False)
                self.size -= len(dropped[2][3])

    def clear(self):
        with self.lock:
            self.entries.clear()
            self.size = 0


local_pages = LocalPages()


def _shared():
    """The default cache when other processes read it too (Redis); None for a process's own."""
    cache = caches["default"]
    return None if isinstance(cache, LocMemCache) else cache


def _store(name, entry):
    local_pages.set(name, entry)
    shared = _shared()
    if shared is not None:
        shared.set(_key(name), entry, PAGE_CACHE_SECONDS)


def page_get(name):
    """The page stored under ``name`` if nothing it shows has changed since, else None."""
    current = generation.current()
    entry = local_pages.get(name)
    if entry is not None and entry[0] == current:
        return entry[2]
    shared = _shared()
    if shared is not None:
        entry = shared.get(_key(name)) or entry
    if entry is None:
        return None
    stamp, versions, page = entry
    if stamp != current:
        fresh = _versions([*versions, ANY])
        generation.set(fresh.pop(ANY))
        if fresh != versions:
            return None
        _store(name, (generation.value, versions, page))
    else:
        local_pages.set(name, entry)
    return page


def page_last_stored(name):
    """The page last stored under ``name``, whatever changed since; None if never stored."""
    entry = local_pages.get(name)
    shared = _shared()
    if entry is None and shared is not None:
        entry = shared.get(_key(name))
    return None if entry is None else entry[2]


def page_set(name, start, depends, page):
    """
    Store ``page`` if ``*`` is still at ``start``, as this process knew it before rendering: no
    change has committed since, so what the page shows is what the versions say.
    """
    versions = _versions([*sorted(depends | {SITE}), ANY])
    stamp = versions.pop(ANY)
    generation.set(stamp)
    if stamp != start:
        return  # something changed while the page rendered: it may show either side
    _store(name, (stamp, versions, page))


def cached(view):
    """Mark a view's successful responses as the same for every reader, for the page cache."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 200:
            response.page_cache = True
        return response

    return wrapper


# Headers SecurityMiddleware (outside this one) adds again to every response.
_OUTER = frozenset({"content-length"})


def _name(request):
    """The cache name of a request that may be served from the cache, else None."""
    if request.method not in ("GET", "HEAD"):
        return None
    if request.path != "/" and not request.path.startswith(CACHED_PREFIXES):
        return None
    query = request.META.get("QUERY_STRING", "")
    if query and not (query.startswith("page=") and query[5:].isdigit() and query[5] != "0"):
        return None  # never stored, so not worth a lookup
    return f"{PAGE_VERSION}:{request.path}?{query}"


def _storable(request, response):
    return (
        getattr(response, "page_cache", False)
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "cookie" not in response.get("Vary", "").lower()
        and (not request.GET or getattr(request, "page_query_served", False))
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
    Serve opted-in pages from the cache before the session, authentication and the rest run.
    Placed right after SecurityMiddleware, so HTTPS redirects and security headers apply to
    cached pages as to any other; the headers the inner middleware and the view set (CSP,
    frame options, validators) are kept with the page. A conditional GET that matches gets 304.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = _name(request)
        if name is None:
            return self.get_response(request)
        request.get_host()  # a Host not in ALLOWED_HOSTS is refused (400), cached page or not
        try:
            page = page_get(name)
            start = generation.value  # ``*`` as page_get just read it, before the view runs
        except (OperationalError, InterfaceError) as error:
            # The record of changes cannot be read, and no change can commit either: the last
            # page stored is served rather than a 503 (RFC 5861's stale-if-error). A page never
            # stored gets the view, which answers 503.
            page = page_last_stored(name)
            if page is None:
                return self.get_response(request)
            logger.warning(
                "Database unreachable; %s served as last stored: %s", request.path, error
            )
            return _replay(request, page)
        if page is not None:
            return _replay(request, page)
        response = self.get_response(request)
        if _storable(request, response):
            depends = getattr(request, "page_shows", None) or {LISTS}
            page_set(name, start, depends, _record(response))
        return response
