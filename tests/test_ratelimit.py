import datetime
import logging
import os

import pytest
import time_machine
from django.core.cache import caches

from qa.ratelimit import Limit, sender_hash

from .test_views_ask import ASK, payload

REDIS_URL = os.environ.get("REDIS_URL")


def test_limit_counts_per_sender_and_bucket():
    limit = Limit("test", 2)
    assert limit.retry_after("s1") is None
    limit.hit("s1")
    limit.hit("s1")
    assert 0 < limit.retry_after("s1") <= 3660
    assert limit.retry_after("s2") is None
    assert Limit("other", 2).retry_after("s1") is None


def at(hour, minute, second=0):
    return datetime.datetime(2026, 3, 2, hour, minute, second, tzinfo=datetime.UTC)


def test_the_hour_slides_across_the_clock_hour():
    """Five sends at 12:50 still count at 13:05: a new clock hour gives no fresh allowance."""
    limit = Limit("test", 5)
    with time_machine.travel(at(12, 50), tick=False) as clock:
        for _n in range(5):
            limit.hit("s1")
        clock.move_to(at(13, 5))
        assert limit.retry_after("s1") == 46 * 60  # the 12:50 minute leaves the hour at 13:51
        clock.move_to(at(13, 50, 59))
        assert limit.retry_after("s1") == 1
        clock.move_to(at(13, 51))
        assert limit.retry_after("s1") is None


def test_the_oldest_sends_leave_the_window_first():
    limit = Limit("test", 5)
    with time_machine.travel(at(12, 0), tick=False) as clock:
        limit.hit("s1")
        limit.hit("s1")
        clock.move_to(at(12, 30, 15))
        for _n in range(3):
            limit.hit("s1")
        clock.move_to(at(12, 45))
        assert limit.retry_after("s1") == 16 * 60  # when the two of 12:00 leave, at 13:01
        clock.move_to(at(13, 1))
        assert limit.retry_after("s1") is None
        limit.hit("s1")
        limit.hit("s1")
        assert limit.retry_after("s1") == 30 * 60  # now the three of 12:30 must leave first


def test_no_sixty_minutes_ever_hold_more_than_the_limit():
    """A sender trying every 97 seconds for five hours: count what was let through."""
    limit = Limit("test", 5)
    start = at(11, 37, 41).timestamp()
    accepted = []
    with time_machine.travel(start, tick=False) as clock:
        for step in range(5 * 3600 // 97):
            clock.move_to(start + step * 97)
            if limit.retry_after("s1") is None:
                limit.hit("s1")
                accepted.append(start + step * 97)
    assert max(sum(1 for t in accepted if first <= t < first + 3600) for first in accepted) == 5
    assert len(accepted) >= 5 * 4  # still five an hour, not fewer


def test_a_limit_that_allows_nothing_says_to_wait_an_hour():
    assert Limit("test", 0).retry_after("s1") == 3600


class FailingCache:
    """A cache whose server is gone: every call raises."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache server unreachable")

        return fail


def test_a_failing_cache_lets_senders_through_with_a_warning(monkeypatch, caplog):
    monkeypatch.setattr("qa.ratelimit.cache", FailingCache())
    limit = Limit("test", 1)
    with caplog.at_level(logging.WARNING, logger="qa.ratelimit"):
        limit.hit("s1")
        limit.hit("s1")
        assert limit.retry_after("s1") is None
    assert [r.getMessage() for r in caplog.records] == [
        "Rate limit 'test' not counted: the cache failed.",
        "Rate limit 'test' not counted: the cache failed.",
        "Rate limit 'test' not checked: the cache failed.",
    ]


@pytest.mark.django_db
def test_a_failing_cache_never_stops_a_question(client, monkeypatch, settings, caplog):
    from qa.models import Question

    from .factories import CategoryFactory

    settings.ASK_RATE_LIMIT_PER_HOUR = 1
    monkeypatch.setattr("qa.ratelimit.cache", FailingCache())
    category = CategoryFactory()
    with caplog.at_level(logging.WARNING, logger="qa.ratelimit"):
        for n in range(3):
            assert client.post(ASK, payload(category, body=f"{'x' * 40} {n}")).status_code == 302
    assert Question.objects.count() == 3
    assert "the cache failed" in caplog.text


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
        # Two sends just before the clock hour, the third just after it, from a new process.
        with time_machine.travel(at(12, 59, 30), tick=False) as clock:
            for n in range(2):
                response = client.post(ASK, payload(category, body=f"{'x' * 40} {n}"))
                assert response.status_code == 302
            caches.close_all()
            del caches["default"]  # as if a new web process handled the next send
            clock.move_to(at(13, 0, 30))
            response = client.post(ASK, payload(category, body="y" * 40))
            assert response.status_code == 429
            assert response["Retry-After"] == str(59 * 60 + 30)  # the 12:59 minute leaves at 14:00
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
        seen = limit.count({sender!r})
        limit.hit({sender!r})
        limit.hit({sender!r})
        print(seen, limit.count({sender!r}), limit.retry_after({sender!r}) > 0)
        """
    )

    assert counted == "1 3 True"
    assert client.post(ASK, payload(category, body=f"{'y' * 40} second")).status_code == 429
