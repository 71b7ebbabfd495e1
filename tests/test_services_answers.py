import datetime

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from qa.models import Answer, Column
from qa.services import (
    StaleAnswer,
    TransitionNotAllowed,
    answer_approve,
    answer_decline,
    answer_reject,
    answer_return_to_draft,
    answer_save_draft,
    answer_submit,
    answers_reorder,
    column_invite,
    reminders_send,
)

from .factories import AnswerFactory, ColumnFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 14, 0, tzinfo=datetime.UTC)


@pytest.fixture
def invitation(editor, expert_a):
    with time_machine.travel(NOW, tick=False):
        (answer,) = column_invite(
            column=ColumnFactory(),
            experts=[expert_a.expert],
            deadline=NOW + datetime.timedelta(days=3),
            by=editor,
        )
    return answer


def test_reminders_at_48_and_24_hours_once_each(invitation):
    deadline = invitation.column.answer_deadline
    sent = []
    for hours_left in [49, 47.5, 47, 30, 23.5, 23, 1]:
        with time_machine.travel(deadline - datetime.timedelta(hours=hours_left), tick=False):
            sent += [(hours_left, label) for _answer, label in reminders_send()]
    assert sent == [(47.5, "48h"), (23.5, "24h")]


def test_a_late_invitation_skips_the_48_hour_reminder(editor, expert_a):
    with time_machine.travel(NOW, tick=False) as clock:
        (answer,) = column_invite(
            column=ColumnFactory(),
            experts=[expert_a.expert],
            deadline=NOW + datetime.timedelta(hours=30),
            by=editor,
        )
        assert reminders_send() == []
        clock.shift(datetime.timedelta(hours=7))
        assert [label for _a, label in reminders_send()] == ["24h"]


def test_no_reminder_once_submitted_or_declined(invitation, expert_a):
    answer_submit(answer=invitation, headline="", body="Done.", version=1, by=expert_a)
    deadline = invitation.column.answer_deadline
    with time_machine.travel(deadline - datetime.timedelta(hours=20), tick=False):
        assert reminders_send() == []


def test_send_reminders_command(invitation, capsys, django_capture_on_commit_callbacks):
    deadline = invitation.column.answer_deadline
    with (
        time_machine.travel(deadline - datetime.timedelta(hours=47), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("send_reminders")
        call_command("send_reminders")
    assert "Reminded" in capsys.readouterr().out
    assert [m.subject for m in mail.outbox] == ["Reminder: your answer is due in 48 hours"]
    assert "/admin/qa/answer/" in mail.outbox[0].body


def test_the_version_lock_refuses_a_stale_save(invitation, expert_a):
    answer = answer_save_draft(answer=invitation, headline="", body="One", version=1, by=expert_a)
    with pytest.raises(StaleAnswer, match="changed since you opened it"):
        answer_save_draft(answer=answer, headline="", body="Two", version=1, by=expert_a)
    answer.refresh_from_db()
    assert answer.body == "One"


def test_submit_needs_a_body(invitation, expert_a):
    with pytest.raises(TransitionNotAllowed, match="Write your answer"):
        answer_submit(answer=invitation, headline="H", body="  ", version=1, by=expert_a)


def test_decline_keeps_the_reason_and_settles_the_column(invitation, expert_a):
    answer = answer_decline(answer=invitation, reason=" Travelling ", by=expert_a)
    assert (answer.status, answer.decline_reason) == (Answer.Status.DECLINED, "Travelling")
    assert Column.objects.get(pk=answer.column_id).status == Column.Status.REVIEW


def test_only_submitted_answers_are_approved(invitation, editor):
    with pytest.raises(TransitionNotAllowed, match="Only a submitted answer can be approved"):
        answer_approve(answer=invitation, by=editor)


def test_reject_emails_the_reason(invitation, expert_a, editor, django_capture_on_commit_callbacks):
    answer = answer_submit(answer=invitation, headline="H", body="B", version=1, by=expert_a)
    with pytest.raises(TransitionNotAllowed, match="Give the expert a reason"):
        answer_reject(answer=answer, reason=" ", by=editor)
    with django_capture_on_commit_callbacks(execute=True):
        answer_reject(answer=answer, reason="We had three answers on the same point.", by=editor)
    (email,) = mail.outbox
    assert email.to == [expert_a.email]
    assert "We had three answers on the same point." in email.body


def test_return_to_draft_sends_the_note_and_reopens_the_answer(
    invitation, expert_a, editor, django_capture_on_commit_callbacks
):
    answer = answer_submit(answer=invitation, headline="H", body="B", version=1, by=expert_a)
    answer = answer_approve(answer=answer, by=editor)
    with django_capture_on_commit_callbacks(execute=True):
        answer = answer_return_to_draft(answer=answer, note="Add an example, please.", by=editor)
    assert (answer.status, answer.approved_at) == (Answer.Status.DRAFT, None)
    assert "Add an example, please." in mail.outbox[0].body
    answer_save_draft(
        answer=answer, headline="H", body="B, with an example.", version=answer.version, by=expert_a
    )


def test_reorder_needs_every_answer_once(editor, expert_a, expert_b):
    column = ColumnFactory()
    first = AnswerFactory(column=column, expert=expert_a.expert, position=0)
    second = AnswerFactory(column=column, expert=expert_b.expert, position=1)
    with pytest.raises(TransitionNotAllowed, match="each of this column's answers once"):
        answers_reorder(column=column, order=[first.pk, first.pk], by=editor)
    answers_reorder(column=column, order=[second.pk, first.pk], by=editor)
    assert list(column.answers.order_by("position").values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
    ]
    assert column.transitions.get(action="answers_reorder").changes == {
        "order": [[first.pk, second.pk], [second.pk, first.pk]]
    }


def test_an_expert_cannot_change_an_answer_after_publication(invitation, expert_a):
    Column.objects.filter(pk=invitation.column_id).update(
        status=Column.Status.PUBLISHED, published_at=timezone.now()
    )
    with pytest.raises(TransitionNotAllowed, match="published"):
        answer_save_draft(answer=invitation, headline="", body="Late", version=1, by=expert_a)
