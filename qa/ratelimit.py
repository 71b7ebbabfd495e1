"""
Per-sender limits on reader questions, counted in the cache so that every web process shares
them (Redis in production).

The hour slides: a sender's events are counted in one-minute buckets, and a check sums every
bucket that overlaps the last hour. A bucket leaves the sum only when its last second is an hour
old, so no 60 minutes ever hold more than the limit, whatever the clock hour.

If the cache fails, the limits are not enforced until it is back (a warning is logged): a
reader's question matters more than a flood check.

A sender is known only by a keyed hash of their address: neither the cache nor the database
ever holds a raw IP.
"""

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

from .addresses import client_address  # noqa: F401  (the rate limit's view of a sender)

WINDOW_SECONDS = 60 * 60
BUCKET_SECONDS = 60
# The current minute and the 60 before it: every bucket that may hold an event of the last hour.
BUCKETS = WINDOW_SECONDS // BUCKET_SECONDS + 1

logger = logging.getLogger(__name__)


def sender_hash(address):
    """A keyed digest of an address: stable for the limits, useless for finding the person."""
    return salted_hmac("qa.ratelimit.sender", address or "unknown", algorithm="sha256").hexdigest()


@dataclass(frozen=True)
class Limit:
    """``allowed`` events in any 60 minutes, for one kind of event (``"ask"``) and sender."""

    name: str
    allowed: int

    def _key(self, sender, minute):
        return f"ratelimit:{self.name}:{sender}:{minute}"

    def _counts(self, sender, now):
        """``{minute: events}`` for the sender's buckets that overlap the last hour."""
        current = int(now // BUCKET_SECONDS)
        keys = {
            self._key(sender, minute): minute
            for minute in range(current - BUCKETS + 1, current + 1)
        }
        return {keys[key]: int(count) for key, count in cache.get_many(list(keys)).items() if count}

    def count(self, sender):
        """How many events ``sender`` has had in the last hour."""
        return sum(self._counts(sender, time.time()).values())

    def retry_after(self, sender):
        """Seconds until ``sender`` may try again, or ``None`` while under the limit."""
        now = time.time()
        try:
            counts = self._counts(sender, now)
        except Exception:
            logger.warning("Rate limit %r not checked: the cache failed.", self.name, exc_info=True)
            return None
        remaining = sum(counts.values())
        if remaining < self.allowed:
            return None
        if not counts:  # a limit of 0 allows nothing
            return WINDOW_SECONDS
        # The oldest buckets leave the window first; the sender may try again when enough have.
        for minute in sorted(counts):
            remaining -= counts[minute]
            if remaining < self.allowed:
                break
        leaves_at = (minute + BUCKETS) * BUCKET_SECONDS
        return max(1, math.ceil(leaves_at - now))

    def hit(self, sender):
        """Count one event for ``sender`` in the current minute."""
        key = self._key(sender, int(time.time() // BUCKET_SECONDS))
        timeout = (BUCKETS + 1) * BUCKET_SECONDS
        try:
            if cache.add(key, 1, timeout=timeout):
                return
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=timeout)
        except Exception:
            logger.warning("Rate limit %r not counted: the cache failed.", self.name, exc_info=True)


def ask_limit():
    return Limit("ask", settings.ASK_RATE_LIMIT_PER_HOUR)


def ask_error_limit():
    return Limit("ask-errors", settings.ASK_ERROR_RATE_LIMIT_PER_HOUR)
