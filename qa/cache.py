"""
A Redis cache that treats an unreachable Redis as an empty cache.

Nothing the platform keeps in the cache is the only copy: pages come from the database, and the
question form's rate limit counts in the cache. When Redis is down, a read is a miss, a write is
dropped, each with a logged warning, so pages still serve and the rate limit fails open instead
of every request answering 500.
"""

import logging

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


def _warn(operation, error):
    logger.warning(
        "Redis unreachable during cache %s, carrying on without it: %s", operation, error
    )


class ResilientRedisCacheClient(RedisCacheClient):
    def add(self, key, value, timeout):
        try:
            return super().add(key, value, timeout)
        except UNREACHABLE as error:
            _warn("add", error)
            return False

    def get(self, key, default):
        try:
            return super().get(key, default)
        except UNREACHABLE as error:
            _warn("get", error)
            return default

    def set(self, key, value, timeout):
        try:
            super().set(key, value, timeout)
        except UNREACHABLE as error:
            _warn("set", error)

    def touch(self, key, timeout):
        try:
            return super().touch(key, timeout)
        except UNREACHABLE as error:
            _warn("touch", error)
            return False

    def delete(self, key):
        try:
            return super().delete(key)
        except UNREACHABLE as error:
            _warn("delete", error)
            return False

    def get_many(self, keys):
        try:
            return super().get_many(keys)
        except UNREACHABLE as error:
            _warn("get_many", error)
            return {}

    def has_key(self, key):
        try:
            return super().has_key(key)
        except UNREACHABLE as error:
            _warn("has_key", error)
            return False

    def incr(self, key, delta):
        try:
            return super().incr(key, delta)
        except UNREACHABLE as error:
            _warn("incr", error)
            # What Django raises for a key that is not there, which is what a miss means.
            raise ValueError(f"Key '{key}' not found (Redis unreachable).") from error

    def set_many(self, data, timeout):
        try:
            super().set_many(data, timeout)
        except UNREACHABLE as error:
            _warn("set_many", error)
        return []

    def delete_many(self, keys):
        try:
            super().delete_many(keys)
        except UNREACHABLE as error:
            _warn("delete_many", error)

    def clear(self):
        try:
            return super().clear()
        except UNREACHABLE as error:
            _warn("clear", error)
            return False


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient

    # For a caller that must tell "not there" or "taken" from "Redis is down" (the duplicate
    # lock: a False from ``add`` must not make it wait for a lock nobody holds). These raise
    # the connection error instead of logging it, and the caller logs once.
    def add_or_raise(self, key, value, timeout):
        key = self.make_and_validate_key(key)
        return RedisCacheClient.add(self._cache, key, value, self.get_backend_timeout(timeout))

    def get_or_raise(self, key, default=None):
        key = self.make_and_validate_key(key)
        return RedisCacheClient.get(self._cache, key, default)


def add_or_raise(cache, key, value, timeout):
    """``cache.add`` that raises when the cache cannot be reached (any backend)."""
    method = getattr(cache, "add_or_raise", None)
    return method(key, value, timeout) if method else cache.add(key, value, timeout)


def get_or_raise(cache, key, default=None):
    """``cache.get`` that raises when the cache cannot be reached (any backend)."""
    method = getattr(cache, "get_or_raise", None)
    return method(key, default) if method else cache.get(key, default)
