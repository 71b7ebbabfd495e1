"""Two editors (or two workers) at the same moment, on PostgreSQL's real row locks."""

import datetime
import threading

import pytest
from django.core import mail
from django.db import connection, connections

from qa.models import Answer, Column, Dispatch, Question
from qa.services import (
    StaleAnswer,
    TransitionNotAllowed,
    answer_save_draft,
    column_pick,
    column_publish,
)

from .factories import AnswerFactory, ColumnFactory, ExpertUserFactory, QuestionFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises writers with a database lock, so there is no race to test; "
        "set DATABASE_URL to a PostgreSQL database to run these.",
    ),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_roles"),
]


def race(*calls):
    """Run each call in its own thread and connection, released together; return outcomes."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as error:  # noqa: BLE001  (the outcome is what the test compares)
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_picks_for_one_week_make_one_column(editor):
    week = datetime.date(2031, 3, 3)
    first, second = (
        QuestionFactory(email="one@example.com"),
        QuestionFactory(email="two@example.com"),
    )
    outcomes = race(
        lambda: column_pick(question=first, week=week, by=editor),
        lambda: column_pick(question=second, week=week, by=editor),
    )
    columns = [o for o in outcomes if isinstance(o, Column)]
    errors = [o for o in outcomes if isinstance(o, TransitionNotAllowed)]
    assert len(columns) == 1 and len(errors) == 1, outcomes
    assert f"“{columns[0].title}”" in str(errors[0])
    assert Column.objects.filter(week=week).count() == 1
    assert Question.objects.filter(status=Question.Status.PICKED).count() == 1
    assert Dispatch.objects.filter(key__startswith="question-picked:").count() == 1
    assert len(mail.outbox) == 1


def test_two_publishes_publish_once_with_one_set_of_emails(editor, expert_a, expert_b):
    column = ColumnFactory(status=Column.Status.REVIEW, week=None)
    AnswerFactory(column=column, expert=expert_a.expert, status=Answer.Status.APPROVED)
    AnswerFactory(column=column, expert=expert_b.expert, status=Answer.Status.SUBMITTED)
    outcomes = race(
        lambda: column_publish(column=column, by=editor),
        lambda: column_publish(column=column, by=editor),
    )
    assert all(isinstance(o, Column) for o in outcomes), outcomes
    assert outcomes[0].published_at == outcomes[1].published_at
    assert column.transitions.filter(action="column_publish").count() == 1
    # The reader, the published expert, and a thank-you to the other: three emails, once each.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [column.question.email, expert_a.email, expert_b.email]
    )


def test_twenty_publishes_at_once_publish_once_with_one_set_of_emails(editor, expert_a, expert_b):
    column = ColumnFactory(status=Column.Status.REVIEW, week=None)
    AnswerFactory(column=column, expert=expert_a.expert, status=Answer.Status.APPROVED)
    AnswerFactory(column=column, expert=expert_b.expert, status=Answer.Status.SUBMITTED)
    outcomes = race(*[lambda: column_publish(column=column, by=editor)] * 20)
    assert all(isinstance(o, Column) for o in outcomes), outcomes
    assert len({o.published_at for o in outcomes}) == 1
    assert column.transitions.filter(action="column_publish").count() == 1
    assert Dispatch.objects.filter(key__startswith="column-").count() == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [column.question.email, expert_a.email, expert_b.email]
    )


def test_ten_saves_of_one_answer_at_once_keep_one_and_refuse_nine(expert_a):
    """No lost update: every save started from version 1; the first wins, the rest are told."""
    answer = AnswerFactory(
        column=ColumnFactory(status=Column.Status.COLLECTING, week=None),
        expert=expert_a.expert,
        status=Answer.Status.DRAFT,
    )
    version = answer.version
    outcomes = race(
        *[
            (
                lambda n=n: answer_save_draft(
                    answer=answer,
                    headline=f"Tab {n}",
                    body=f"Text {n}",
                    version=version,
                    by=expert_a,
                )
            )
            for n in range(10)
        ]
    )
    saved = [o for o in outcomes if isinstance(o, Answer)]
    refused = [o for o in outcomes if isinstance(o, StaleAnswer)]
    assert (len(saved), len(refused)) == (1, 9), outcomes
    assert "changed since you opened it" in str(refused[0])
    answer.refresh_from_db()
    assert (answer.headline, answer.body, answer.version) == (
        saved[0].headline,
        saved[0].body,
        version + 1,
    )


def test_ten_experts_saving_their_own_answers_at_once_lose_nothing():
    column = ColumnFactory(status=Column.Status.COLLECTING, week=None)
    experts = [ExpertUserFactory(username=f"expert{n}") for n in range(10)]
    answers = [
        AnswerFactory(column=column, expert=user.expert, status=Answer.Status.DRAFT)
        for user in experts
    ]
    outcomes = race(
        *[
            (
                lambda a=a, u=u: answer_save_draft(
                    answer=a, headline=u.username, body=f"By {u.username}", version=a.version, by=u
                )
            )
            for a, u in zip(answers, experts, strict=True)
        ]
    )
    assert all(isinstance(o, Answer) for o in outcomes), outcomes
    assert sorted(Answer.objects.values_list("headline", "body")) == sorted(
        (u.username, f"By {u.username}") for u in experts
    )
