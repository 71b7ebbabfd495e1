import contextlib
import logging
import threading

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection, transaction

from qa.models import Dispatch, Question, body_fingerprint
from qa.services import (
    QuestionTransitionError,
    question_decline,
    question_erase,
    question_shortlist,
    question_spam_mark,
    question_spam_restore,
    question_submit,
)
from qa.services import questions as question_services

from .factories import CategoryFactory, QuestionFactory
from .test_ratelimit import FailingCache
from .test_services_concurrency import race

pytestmark = pytest.mark.django_db

BODY = "What should I say when a recruiter asks about my current salary?"
Status = Question.Status


def submit(**overrides):
    return question_submit(
        **{
            "body": BODY,
            "category": CategoryFactory(slug="pay"),
            "name": "Dana",
            "email": "dana@reader.example",
            "sender_hash": "a" * 64,
            **overrides,
        }
    )


def test_shortlist_decline_and_back(editor):
    question = QuestionFactory()
    question = question_shortlist(question=question, by=editor)
    assert question.status == Status.SHORTLISTED
    question = question_decline(question=question, by=editor)
    assert question.status == Status.DECLINED
    assert question_shortlist(question=question, by=editor).status == Status.SHORTLISTED
    assert [t.action for t in question.transitions.order_by("at", "id")] == [
        "question_shortlisted",
        "question_declined",
        "question_shortlisted",
    ]
    assert question.transitions.first().by == editor


@pytest.mark.parametrize(
    ("service", "status"),
    [
        (question_shortlist, Status.PICKED),
        (question_decline, Status.SPAM),
        (question_spam_mark, Status.PICKED),
        (question_spam_restore, Status.NEW),
    ],
)
def test_a_transition_from_the_wrong_status_is_refused_clearly(editor, service, status):
    question = QuestionFactory(status=status)
    with pytest.raises(QuestionTransitionError, match=f"is {status.label}; only"):
        service(question=question, by=editor)
    question.refresh_from_db()
    assert question.status == status
    assert not question.transitions.exists()


def test_spam_is_kept_and_restoring_sends_the_held_confirmation_once(
    editor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        question, created = submit(spam_reason="filled the hidden website field")
    assert created and question.status == Status.SPAM
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        question_spam_restore(question=question, by=editor)
    with django_capture_on_commit_callbacks(execute=True):
        question_spam_mark(question=question, by=editor)
        restored = question_spam_restore(question=question, by=editor)
    assert restored.status == Status.NEW and restored.spam_reason == ""
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_confirmation_is_sent_only_after_commit_and_never_on_rollback():
    with transaction.atomic():
        submit()
        assert mail.outbox == []
    assert len(mail.outbox) == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        submit(body=BODY + " Another.")
        raise RuntimeError("rolled back")
    assert len(mail.outbox) == 1
    assert Question.objects.count() == 1


def test_duplicate_returns_the_first_question():
    first, created = submit()
    again, created_again = submit(body=BODY.lower() + "   ", sender_hash="b" * 64)
    assert created and not created_again
    assert again == first


def test_a_deleted_question_is_not_a_duplicate():
    first, _created = submit()
    question_erase(question=first)
    second, created = submit()
    assert created and second != first


@pytest.mark.django_db(transaction=True)
def test_erase_forgets_the_reader_and_their_email_log():
    question, _created = submit()
    assert Dispatch.objects.get().to == "dana@reader.example"
    erased = question_erase(question=question)
    assert (erased.body, erased.name, erased.email, erased.signature) == ("", "", "", "")
    assert erased.status == Status.WITHDRAWN and erased.erased_at is not None
    assert Dispatch.objects.get().to == ""
    assert erased.transitions.filter(action="question_erase").exists()
    with pytest.raises(QuestionTransitionError, match="already deleted"):
        question_erase(question=erased)


# -- identical sends at the same instant ----------------------------------------------------

LOCK_KEY = f"question-submit:{body_fingerprint(BODY)}"


def test_a_send_waits_while_another_process_saves_the_same_text(monkeypatch):
    """The other process commits its question while this one waits: this one finds it."""
    cache.add(LOCK_KEY, "another process", timeout=10)
    theirs = []

    def meanwhile(seconds):
        if not theirs:  # the other process saves, commits, and lets go
            theirs.append(
                QuestionFactory(body=BODY, email="dana@reader.example", sender_hash="a" * 64)
            )
            cache.delete(LOCK_KEY)

    monkeypatch.setattr(question_services.time, "sleep", meanwhile)
    question, created = submit()
    assert theirs and question == theirs[0] and not created
    assert Question.objects.count() == 1


def test_a_send_never_waits_for_its_own_transaction(monkeypatch):
    """Two identical sends on one connection: its own lock does not block it."""
    monkeypatch.setattr(question_services.time, "sleep", pytest.fail)
    with transaction.atomic():
        first, _created = submit()
        again, created = submit()
    assert again == first and not created


def test_a_lock_never_let_go_does_not_lose_the_question(monkeypatch, caplog):
    cache.add(LOCK_KEY, "a process that died", timeout=10)
    waits = []
    monkeypatch.setattr(question_services.time, "sleep", waits.append)
    with caplog.at_level(logging.WARNING, logger="qa.services.questions"):
        question, created = submit()
    assert created and question.pk
    assert len(waits) == question_services.SUBMIT_LOCK_POLLS
    assert "without its duplicate lock: still held" in caplog.text


def test_a_failing_cache_does_not_lose_the_question(monkeypatch, caplog):
    monkeypatch.setattr(question_services, "cache", FailingCache())
    with caplog.at_level(logging.WARNING, logger="qa.services.questions"):
        question, created = submit()
    assert created and question.pk
    assert "without its duplicate lock" in caplog.text


def test_the_lock_is_let_go_on_commit_and_on_rollback(
    monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submit()
        assert cache.get(LOCK_KEY) is not None  # held until the question is committed
    assert cache.get(LOCK_KEY) is None

    def broken(**kwargs):
        raise RuntimeError("history unavailable")

    monkeypatch.setattr(question_services, "transition_record", broken)
    with pytest.raises(RuntimeError):
        submit(body=BODY + " Again.")
    assert cache.get(f"question-submit:{body_fingerprint(BODY + ' Again.')}") is None


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite takes a write lock at the start of each transaction, so two sends cannot "
    "interleave; set DATABASE_URL to a PostgreSQL database to run this.",
)
@pytest.mark.django_db(transaction=True)
def test_two_identical_sends_at_the_same_instant_are_kept_once(monkeypatch):
    """
    Each send pauses between its duplicate check and its insert until the other has checked
    too (or a second has passed): without the lock, both find nothing and both insert.
    """
    category = CategoryFactory(slug="pay")
    both_checked = threading.Barrier(2)
    check = question_services.question_duplicate_of

    def slow_check(**kwargs):
        earlier = check(**kwargs)
        # Broken when the other send is waiting on the lock, as it should.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checked.wait(timeout=1)
        return earlier

    monkeypatch.setattr(question_services, "question_duplicate_of", slow_check)
    monkeypatch.setattr(question_services, "SUBMIT_LOCK_POLLS", 200)  # 10 s, well past 1 s
    outcomes = race(
        lambda: submit(category=category), lambda: submit(category=category, sender_hash="b" * 64)
    )
    assert all(isinstance(outcome, tuple) for outcome in outcomes), outcomes
    assert sorted(created for _question, created in outcomes) == [False, True], outcomes
    assert outcomes[0][0] == outcomes[1][0]
    assert Question.objects.count() == 1
    assert len(mail.outbox) == 1
