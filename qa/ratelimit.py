"""
Per-sender limits on reader questions, counted in the cache so that every web process shares
them (Redis in production).

A sender is known only by a keyed hash of their address: neither the cache nor the database
ever holds a raw IP.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

WINDOW_SECONDS = 60 * 60


def client_address(request):
    """
    The address the request came from: ``REMOTE_ADDR``, unless ``TRUSTED_PROXY_HEADER`` names a
    header our own proxy sets. Then the last entry of that header is used, the one our proxy
    appended; earlier entries are whatever the client claimed.
    """
    header = getattr(settings, "TRUSTED_PROXY_HEADER", None)
    if header:
        forwarded = [part.strip() for part in request.META.get(header, "").split(",")]
        forwarded = [part for part in forwarded if part]
        if forwarded:
            return forwarded[-1][:100]
    return request.META.get("REMOTE_ADDR", "")[:100]


def sender_hash(address):
    """A keyed digest of an address: stable for the limits, useless for finding the person."""
    return salted_hmac("qa.ratelimit.sender", address or "unknown", algorithm="sha256").hexdigest()


@dataclass(frozen=True)
class Limit:
    """``allowed`` events per hour for one bucket (``"ask"``, ``"ask-errors"``) and sender."""

    bucket: str
    allowed: int

    def _window(self, now):
        return int(now // WINDOW_SECONDS)

    def _key(self, sender, now):
        return f"ratelimit:{self.bucket}:{sender}:{self._window(now)}"

    def retry_after(self, sender):
        """Seconds until ``sender`` may try again, or ``None`` while under the limit."""
        now = time.time()
        if cache.get(self._key(sender, now), 0) < self.allowed:
            return None
        return max(1, int((self._window(now) + 1) * WINDOW_SECONDS - now))

    def hit(self, sender):
        """Count one event for ``sender``; returns the count in this hour."""
        key = self._key(sender, time.time())
        cache.add(key, 0, timeout=WINDOW_SECONDS + 60)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=WINDOW_SECONDS + 60)
            return 1


def ask_limit():
    return Limit("ask", settings.ASK_RATE_LIMIT_PER_HOUR)


def ask_error_limit():
    return Limit("ask-errors", settings.ASK_ERROR_RATE_LIMIT_PER_HOUR)
