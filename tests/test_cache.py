"""Redis is unreachable: the cache behaves as empty, logs a warning, and pages still serve."""

import os
import socket

import pytest
from django.core.cache import cache

from .factories import AnswerFactory, ColumnFactory


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "qa.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/7",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    return cache


def test_reads_miss_and_writes_are_dropped(redis_down, caplog):
    assert redis_down.get("k") is None
    assert redis_down.get("k", "fallback") == "fallback"
    redis_down.set("k", 1)
    assert redis_down.add("k", 1) is False
    assert redis_down.get_many(["a", "b"]) == {}
    assert redis_down.set_many({"a": 1}) == []
    assert redis_down.has_key("k") is False
    assert redis_down.touch("k") is False
    assert redis_down.delete("k") is False
    redis_down.delete_many(["a"])
    assert redis_down.get_or_set("k", lambda: "computed") == "computed"
    assert redis_down.clear() is False
    assert "Redis unreachable during cache get" in caplog.text


def test_incr_on_an_unreachable_redis_is_a_missing_key(redis_down):
    """The rate limit's add-then-incr falls back as for an expired key: it fails open."""
    with pytest.raises(ValueError, match="not found"):
        redis_down.incr("ratelimit:ask:x")


@pytest.mark.django_db
def test_pages_serve_from_the_database(redis_down, client, editor_client):
    answer = AnswerFactory(column=ColumnFactory(published=True), body="Write **today**.")
    for path in [
        "/",
        answer.column.get_absolute_url(),
        answer.column.category.get_absolute_url(),
        answer.expert.get_absolute_url(),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
    assert b"<strong>today</strong>" in client.get(answer.column.get_absolute_url()).content
    assert editor_client.get("/admin/qa/column/").status_code == 200


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs a running Redis (REDIS_URL), as in CI"
)
def test_a_reachable_redis_is_used(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "qa.cache.ResilientRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": "test-resilient",
        }
    }
    cache.set("k", {"n": 1})
    assert cache.get("k") == {"n": 1}
    assert cache.add("n", 1) is True
    assert cache.incr("n") == 2
    cache.delete_many(["k", "n"])


def this_threads_sleeps(record):
    """time.sleep that records this thread's sleeps instead (other threads, such as the page
    cache's listener reconnecting, sleep for real)."""
    import threading
    import time

    real_sleep, mine = time.sleep, threading.current_thread()

    def sleep(seconds):
        if threading.current_thread() is mine:
            record.append(seconds)
        else:
            real_sleep(seconds)

    return sleep


def test_the_duplicate_lock_fails_open_at_once_with_one_warning(
    db, redis_down, caplog, monkeypatch
):
    """The resilient cache's add answers False when Redis is down: the lock must not take that
    for "held by someone else" and poll 60 times."""
    from qa.services import question_submit
    from qa.services import questions as service

    from .factories import CategoryFactory

    sleeps = []
    monkeypatch.setattr(service.time, "sleep", this_threads_sleeps(sleeps))
    caplog.set_level("WARNING")
    question, created = question_submit(
        body="Redis is down and I still have a question about interviews.",
        category=CategoryFactory(),
        email="reader@example.com",
    )
    assert created and question.pk
    assert sleeps == []
    lock_warnings = [r for r in caplog.records if "duplicate lock" in r.getMessage()]
    assert len(lock_warnings) == 1
    assert "went ahead without its duplicate lock" in lock_warnings[0].getMessage()


def test_a_held_lock_is_still_waited_for_when_redis_is_up(settings, monkeypatch):
    """With a cache that answers, the lock still polls while another holder has it."""
    from qa.services import questions as service

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.add("question-submit:abc", "someone-else", 10)
    sleeps = []
    monkeypatch.setattr(service.time, "sleep", this_threads_sleeps(sleeps))
    release = service.question_submit_lock("abc")
    release()
    assert len(sleeps) == service.SUBMIT_LOCK_POLLS
