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

import collections
import functools
import hashlib
import itertools
import logging
import os
import re
import threading
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connections
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import parse_http_date_safe

from .cache import UNREACHABLE

logger = logging.getLogger(__name__)

GENERATION_KEY = "content-generation"
# Bump when templates change in a way that must not be served from an older cached copy (or run
# `manage.py pages_expire` when deploying); the list pages' ETags carry it too, so readers'
# copies are replaced as well.
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
    """Move the generation on: every page cached so far becomes a miss, in every process."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        # Not there yet (or evicted): any value no page was stored under will do.
        cache.set(GENERATION_KEY, time.time_ns(), None)
    listener.changed()  # this process at once; the others when they hear of it
    _publish()


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
    ``(page, ticket)``: the page stored under ``name`` if it was rendered under the current
    generation (else None), and the ticket to store a fresh rendering with (``page_set``).

    A page this process has served since the last change is answered from its memory, without
    the round trip, while the process hears of every change (``Listener``).
    """
    key = _key(name)
    token = listener.token()
    if token is not None:
        page = local.get(key, token)
        if page is not None:
            return page, (None, token)
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY)
    entry = found.get(key)
    if generation is not None and entry is not None and entry[0] == generation:
        local.put(key, token, entry[1])
        return entry[1], (generation, token)
    if generation is None:
        cache.add(GENERATION_KEY, time.time_ns(), None)
        generation = cache.get(GENERATION_KEY)
    return None, (generation, token)


def page_set(name, ticket, page, timeout):
    """Store ``page`` as rendered under ``ticket`` (as ``page_get`` returned it)."""
    generation, token = ticket
    if generation is not None:
        cache.set(_key(name), (generation, page), timeout)
        local.put(_key(name), token, page)


class LocalPages:
    """
    The pages this process served lately (``PAGE_CACHE_LOCAL_PAGES`` at most, least recently
    used out first), each under the listener's token of when it was read from the cache: a
    change heard of since gives a new token, and every page kept under an older one is a miss.
    """

    def __init__(self):
        self.pages = collections.OrderedDict()
        self.lock = threading.Lock()

    def get(self, key, token):
        with self.lock:
            found = self.pages.get(key)
            if found is None or found[0] != token:
                return None
            self.pages.move_to_end(key)
            return found[1]

    def put(self, key, token, page):
        size = settings.PAGE_CACHE_LOCAL_PAGES
        if token is None or not size:
            return
        with self.lock:
            self.pages[key] = (token, page)
            self.pages.move_to_end(key)
            while len(self.pages) > size:
                self.pages.popitem(last=False)

    def clear(self):
        with self.lock:
            self.pages.clear()


class Listener:
    """
    Hears of every change through Redis pub/sub (``content_changed`` publishes after moving the
    generation on), on a thread of its own in each process. ``token()`` is None, and pages are
    read from the cache every time, unless the subscription is live and has answered a ping in
    the last ``STALE_AFTER`` seconds; so a lost connection costs speed, never freshness.
    """

    PING_EVERY = 1.0
    STALE_AFTER = 3.0

    def __init__(self):
        self.pid = None
        self.channel = None
        self.live = False
        self.heard = 0.0
        self.counter = itertools.count()
        self.changes = next(self.counter)
        self.lock = threading.Lock()

    def token(self):
        if not _on_redis():
            return None
        if self.pid != os.getpid():
            self._start()
            return None
        if self.channel != _channel():  # the cache was configured anew: subscribe again
            self.live = False
            return None
        if not self.live or time.monotonic() - self.heard > self.STALE_AFTER:
            return None
        return self.changes

    def changed(self):
        """Something changed: every page kept so far is a miss."""
        self.changes = next(self.counter)  # next() on a count is atomic: no change is lost

    def _start(self):
        with self.lock:
            if self.pid == os.getpid():
                return
            # A forked worker starts its own thread; the parent's did not come along.
            self.pid = os.getpid()
            self.live = False
            threading.Thread(target=self._run, name="page-cache-listener", daemon=True).start()

    def _heard(self, changed=False):
        if changed:
            self.changed()
        self.heard = time.monotonic()

    def _run(self):
        while True:
            if not _on_redis():  # the cache was configured anew, without Redis
                self.pid = None
                return
            try:
                self._listen()
            except Exception as error:  # noqa: BLE001 - any failure: pages are read from Redis
                logger.warning("Page cache listener lost Redis, reconnecting: %s", error)
                time.sleep(self.PING_EVERY)

    def _listen(self):
        """Listen until the connection fails or the cache is configured anew."""
        channel = _channel()
        pubsub = _client().pubsub()
        try:
            pubsub.subscribe(channel)
            pinged = 0.0
            while _channel() == channel:
                if time.monotonic() - pinged >= self.PING_EVERY:
                    pubsub.ping()
                    pinged = time.monotonic()
                message = pubsub.get_message(timeout=self.PING_EVERY)
                if message is None:
                    continue
                if message["type"] == "subscribe":
                    # From here on no change can go unheard; what was kept before is forgotten.
                    self.channel = channel
                    self._heard(changed=True)
                    self.live = True
                elif message["type"] == "message":
                    self._heard(changed=True)
                elif message["type"] == "pong":
                    self._heard()
        finally:
            self.live = False
            pubsub.close()


def _on_redis():
    return isinstance(caches["default"], RedisCache)


def _client():
    return cache._cache.get_client(write=True)


def _channel():
    return cache.make_key("content-changed")


def _publish():
    if not _on_redis():
        return
    try:
        _client().publish(_channel(), b"1")
    except UNREACHABLE as error:
        logger.warning("Redis unreachable: other processes may serve cached pages: %s", error)


local = LocalPages()
listener = Listener()


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
        request.get_host()  # a Host not in ALLOWED_HOSTS is refused (400), cached page or not
        page, ticket = page_get(name)
        if page is not None:
            return _replay(request, page)
        response = self.get_response(request)
        if _storable(response):
            page_set(name, ticket, _record(response), PAGE_CACHE_SECONDS)
        return response
