"""Two editors (or two workers) at the same moment, on PostgreSQL's real row locks."""

import datetime
import threading

import pytest
from django.core import mail
from django.db import connection, connections

from qa.models import Answer, Column, Dispatch, Question
from qa.services import TransitionNotAllowed, column_pick, column_publish

from .factories import AnswerFactory, ColumnFactory, QuestionFactory

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
