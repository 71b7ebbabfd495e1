"""The weekly cycle as services: pick to publication, with the clock frozen at each step."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from qa.models import Answer, Column, Question, Transition
from qa.periodic import jobs_run
from qa.services import (
    TransitionNotAllowed,
    answer_approve,
    answer_decline,
    answer_save_draft,
    answer_submit,
    answers_reorder,
    column_invite,
    column_pick,
    column_publish,
    column_schedule,
    columns_publish_due,
    question_submit,
    reminders_send,
)

from .factories import CategoryFactory, ExpertUserFactory, QuestionFactory

# Emails leave after commit, so these run in real transactions.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_roles"),
]

NY = zoneinfo.ZoneInfo("America/New_York")
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=NY)  # a Monday morning


def subjects(to=None):
    return [m.subject for m in mail.outbox if to is None or m.to == [to]]


def test_the_whole_week(editor):
    with time_machine.travel(START, tick=False) as clock:
        debra, don = ExpertUserFactory(username="debra"), ExpertUserFactory(username="don")
        question = QuestionFactory(email="reader@example.com", signature="D")

        column = column_pick(question=question, week=datetime.date(2026, 3, 9), by=editor)
        question.refresh_from_db()
        assert (column.status, column.week, question.status) == (
            Column.Status.DRAFT,
            datetime.date(2026, 3, 9),
            Question.Status.PICKED,
        )
        assert column.intro.startswith("Each week, we choose one question")
        assert subjects("reader@example.com") == ["Your question was picked for our expert panel"]

        deadline = START + datetime.timedelta(days=3)  # Thursday 9:00
        invitations = column_invite(
            column=column, experts=[debra.expert, don.expert], deadline=deadline, by=editor
        )
        assert {a.status for a in invitations} == {Answer.Status.INVITED}
        assert len(subjects("debra@example.com")) == 1
        assert "/admin/qa/answer/" in mail.outbox[-1].body

        clock.move_to(deadline - datetime.timedelta(hours=49))
        assert reminders_send() == []
        clock.move_to(deadline - datetime.timedelta(hours=47))
        jobs_run(["reminders_send", "columns_review_due"])
        assert len([s for s in subjects("debra@example.com") if "48 hours" in s]) == 1
        jobs_run(["reminders_send", "columns_review_due"])  # a second run sends nothing new
        assert len([s for s in subjects("don@example.com") if "Reminder" in s]) == 1

        debra_answer, don_answer = invitations
        debra_answer = answer_save_draft(
            answer=debra_answer, headline="Send a note", body="Thanks.", version=1, by=debra
        )
        debra_answer = answer_submit(
            answer=debra_answer,
            headline="Send A Thank-You Note ASAP",
            body="Within a day, by email.",
            version=debra_answer.version,
            by=debra,
        )
        clock.move_to(deadline - datetime.timedelta(hours=23))
        reminded = reminders_send()
        assert [(a.expert.name, label) for a, label in reminded] == [(don.expert.name, "24h")]
        answer_decline(answer=don_answer, reason="Travelling this week.", by=don)
        column.refresh_from_db()
        assert column.status == Column.Status.REVIEW
        assert len([s for s in subjects() if s.startswith("Ready for review")]) == 1

        answer_approve(answer=debra_answer, by=editor)
        answers_reorder(column=column, order=[debra_answer.pk, don_answer.pk], by=editor)
        publish_at = datetime.datetime(2026, 3, 9, 7, 0, tzinfo=NY)
        column_schedule(column=column, publish_at=publish_at, by=editor)

        clock.move_to(publish_at - datetime.timedelta(minutes=1))
        assert columns_publish_due() == []
        clock.move_to(publish_at + datetime.timedelta(minutes=1))
        assert columns_publish_due() == [column]
        call_command("publish_due")  # cron after the task: nothing left to do

    column.refresh_from_db()
    assert column.status == Column.Status.PUBLISHED
    assert column in Column.objects.published()
    assert subjects("reader@example.com")[-1] == f"You’re published: {column.title}"
    assert subjects("debra@example.com")[-1] == f"You’re published: {column.title}"
    assert not any("published" in s.lower() for s in subjects("don@example.com"))
    assert list(
        Transition.objects.filter(column=column)
        .order_by("at", "id")
        .values_list("action", flat=True)
    ) == [
        "column_pick",
        "answer_invite",
        "answer_invite",
        "column_invite",
        "answer_save_draft",
        "answer_submit",
        "answer_decline",
        "column_review_start",
        "answer_approve",
        "column_schedule",
        "column_publish",
    ]


def test_a_submitted_answer_stays_editable_until_approved(editor, expert_a):
    with time_machine.travel(START, tick=False):
        column = column_pick(question=QuestionFactory(), week=START.date(), by=editor)
        (answer,) = column_invite(
            column=column,
            experts=[expert_a.expert],
            deadline=START + datetime.timedelta(days=2),
            by=editor,
        )
        answer = answer_submit(answer=answer, headline="H", body="B", version=1, by=expert_a)
        answer = answer_save_draft(
            answer=answer, headline="H2", body="B2", version=answer.version, by=expert_a
        )
        assert (answer.status, answer.headline) == (Answer.Status.SUBMITTED, "H2")
        answer_approve(answer=answer, by=editor)
        with pytest.raises(TransitionNotAllowed, match="can no longer be changed"):
            answer_save_draft(answer=answer, headline="H3", body="B3", version=None, by=expert_a)


def test_every_email_a_reader_gets_has_their_link_and_says_how_to_delete(editor, expert_a):
    """Sent, picked, published: each email to the reader carries the private link."""
    question, _created = question_submit(
        body="How do I ask for a raise after only eight months in the job?",
        category=CategoryFactory(),
        name="Dana",
        email="reader@example.com",
    )
    column = column_pick(question=question, week=datetime.date(2031, 3, 3), by=editor)
    (answer,) = column_invite(
        column=column,
        experts=[expert_a.expert],
        deadline=datetime.datetime.now(tz=NY) + datetime.timedelta(days=2),
        by=editor,
    )
    answer = answer_submit(
        answer=answer, headline="Ask", body="Bring numbers.", version=answer.version, by=expert_a
    )
    answer_approve(answer=answer, by=editor)
    column_publish(column=column, by=editor)

    to_reader = [m for m in mail.outbox if m.to == ["reader@example.com"]]
    assert [m.subject for m in to_reader] == [
        "We have your question",
        "Your question was picked for our expert panel",
        f"You’re published: {column.title}",
    ]
    for message in to_reader:
        assert f"http://127.0.0.1:8000/questions/{question.token}/" in message.body
        assert 'press "Delete my question"' in message.body
        assert "We then erase your name and email" in message.body
