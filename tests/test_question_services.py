import pytest
from django.core import mail
from django.db import transaction

from qa.models import Dispatch, Question
from qa.services import (
    QuestionTransitionError,
    question_decline,
    question_erase,
    question_shortlist,
    question_spam_mark,
    question_spam_restore,
    question_submit,
)

from .factories import CategoryFactory, QuestionFactory

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
