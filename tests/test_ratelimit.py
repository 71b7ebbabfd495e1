import os

import pytest
from django.core.cache import caches

from qa.ratelimit import Limit, sender_hash

from .test_ask import ASK, payload

REDIS_URL = os.environ.get("REDIS_URL")


def test_limit_counts_per_sender_and_bucket():
    limit = Limit("test", 2)
    assert limit.retry_after("s1") is None
    limit.hit("s1")
    limit.hit("s1")
    assert 0 < limit.retry_after("s1") <= 3600
    assert limit.retry_after("s2") is None
    assert Limit("other", 2).retry_after("s1") is None


def test_sender_hash_is_keyed_and_stable(settings):
    assert sender_hash("10.0.0.1") == sender_hash("10.0.0.1") != sender_hash("10.0.0.2")
    before = sender_hash("10.0.0.1")
    settings.SECRET_KEY = "another-key"
    assert sender_hash("10.0.0.1") != before


@pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set")
@pytest.mark.django_db
def test_the_limit_holds_on_redis_across_processes(client, settings):
    """Counts live in Redis: a process that starts afresh still sees them."""
    from .factories import CategoryFactory

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "ratelimit-test",
        }
    }
    settings.ASK_RATE_LIMIT_PER_HOUR = 2
    caches["default"].clear()
    category = CategoryFactory()
    try:
        for n in range(2):
            assert client.post(ASK, payload(category, body=f"{'x' * 40} {n}")).status_code == 302
        caches.close_all()
        del caches["default"]  # as if a new web process handled the next send
        assert client.post(ASK, payload(category, body="y" * 40)).status_code == 429
    finally:
        caches["default"].clear()


@pytest.mark.django_db
def test_the_limit_is_shared_with_another_web_process(client, settings, shared_redis):
    """A second process, on the same Redis, counts this reader's sends and sees them."""
    from .factories import CategoryFactory

    settings.ASK_RATE_LIMIT_PER_HOUR = 3
    category = CategoryFactory()
    assert client.post(ASK, payload(category, body=f"{'x' * 40} first")).status_code == 302
    sender = sender_hash("127.0.0.1")  # the test client's REMOTE_ADDR

    counted = shared_redis(
        f"""
        from qa.ratelimit import Limit
        limit = Limit("ask", 3)
        print(limit.hit({sender!r}), limit.hit({sender!r}), limit.retry_after({sender!r}) > 0)
        """
    )

    assert counted == "2 3 True"
    assert client.post(ASK, payload(category, body=f"{'y' * 40} second")).status_code == 429
