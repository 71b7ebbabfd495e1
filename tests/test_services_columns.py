import datetime

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from qa.models import Answer, Column, Publication, Question
from qa.selectors import columns_overdue, week_next_free
from qa.services import (
    TransitionNotAllowed,
    answer_return_to_draft,
    column_correct,
    column_invite,
    column_pick,
    column_publish,
    column_schedule,
    column_unschedule,
    columns_publish_due,
    columns_review_due,
)

from .factories import AnswerFactory, ColumnFactory, QuestionFactory, monday

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_review(expert_a):
    column = ColumnFactory(status=Column.Status.REVIEW, week=None)
    answer = AnswerFactory(column=column, expert=expert_a.expert, status=Answer.Status.APPROVED)
    return column, answer


def test_pick_proposes_the_next_free_week_and_uses_the_standing_intro(editor):
    ColumnFactory(week=monday(1))
    assert week_next_free() == monday(2)
    publication = Publication.current()
    publication.standing_intro = "Our panel answers one question a week:"
    publication.save()
    column = column_pick(question=QuestionFactory(), week=week_next_free(), by=editor)
    assert (column.week, column.intro, column.status) == (
        monday(2),
        "Our panel answers one question a week:",
        Column.Status.DRAFT,
    )


def test_pick_refuses_a_question_that_is_not_in_the_queue(editor):
    question = QuestionFactory(status=Question.Status.SPAM)
    with pytest.raises(TransitionNotAllowed, match="only new or shortlisted"):
        column_pick(question=question, week=monday(3), by=editor)


def assert_says_how_to_delete(email, question):
    """The reader's private link, and what "Delete my question" there does."""
    assert f"http://127.0.0.1:8000/questions/{question.token}/" in email.body
    assert 'press "Delete my question"' in email.body
    assert "We then erase your name and email" in email.body


def test_picked_email_carries_the_readers_private_link(editor, django_capture_on_commit_callbacks):
    question = QuestionFactory(email="reader@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        column_pick(question=question, week=monday(3), by=editor)
    (email,) = mail.outbox
    assert email.to == ["reader@example.com"]
    assert_says_how_to_delete(email, question)
    assert email.body.startswith("Hello Dana Private,\n")


def test_reader_emails_greet_by_name_and_never_by_signature(
    editor, in_review, django_capture_on_commit_callbacks
):
    """The reader's name when they gave one; no one (not the signature) when they did not."""
    column, _answer = in_review
    column.question.name = ""
    column.question.signature = "Nervous in Newark"
    column.question.save()
    with django_capture_on_commit_callbacks(execute=True):
        column_publish(column=column, by=editor)
        question = QuestionFactory(name="", signature="Worried", email="nameless@example.com")
        column_pick(question=question, week=monday(5), by=editor)
    for email in mail.outbox:
        if email.to[0] in {column.question.email, "nameless@example.com"}:
            assert email.body.startswith("Hello,\n"), email.body[:40]


def test_published_email_carries_the_readers_private_link(
    editor, in_review, django_capture_on_commit_callbacks
):
    column, _answer = in_review
    with django_capture_on_commit_callbacks(execute=True):
        column_publish(column=column, by=editor)
    (email,) = [m for m in mail.outbox if m.to == [column.question.email]]
    assert column.get_absolute_url() in email.body
    assert_says_how_to_delete(email, column.question)


def test_invitation_needs_a_future_deadline(editor, expert_a):
    column = ColumnFactory()
    with pytest.raises(TransitionNotAllowed, match="deadline must be in the future"):
        column_invite(
            column=column,
            experts=[expert_a.expert],
            deadline=timezone.now() - datetime.timedelta(hours=1),
            by=editor,
        )


def test_publishing_validation_messages(editor, expert_a):
    column = ColumnFactory(status=Column.Status.REVIEW, title=" ")
    AnswerFactory(column=column, expert=expert_a.expert, status=Answer.Status.SUBMITTED)
    with pytest.raises(TransitionNotAllowed) as refused:
        column_publish(column=column, by=editor)
    assert str(refused.value) == (
        "Cannot publish yet. It needs a title. It needs at least one approved answer."
    )
    Column.objects.filter(pk=column.pk).update(title="A Title")
    with pytest.raises(TransitionNotAllowed, match=r"yet\. It needs at least one approved"):
        column_schedule(
            column=column, publish_at=timezone.now() + datetime.timedelta(days=1), by=editor
        )
    with pytest.raises(TransitionNotAllowed, match="That time has passed"):
        column_schedule(
            column=column, publish_at=timezone.now() - datetime.timedelta(days=1), by=editor
        )


def test_publish_twice_publishes_once_with_one_set_of_emails(
    editor, in_review, django_capture_on_commit_callbacks
):
    column, _answer = in_review
    with django_capture_on_commit_callbacks(execute=True):
        first = column_publish(column=column, by=editor)
    with django_capture_on_commit_callbacks(execute=True):
        second = column_publish(column=column, by=editor)
    assert first.published_at == second.published_at
    assert column.transitions.filter(action="column_publish").count() == 1
    assert len(mail.outbox) == 2  # the reader and the expert


def test_publishing_draws_the_share_image_before_the_first_reader(
    editor, in_review, django_capture_on_commit_callbacks
):
    column, _answer = in_review
    assert not column.share_image
    with django_capture_on_commit_callbacks(execute=True):
        column_publish(column=column, by=editor)
    column.refresh_from_db()
    assert column.share_image.name.startswith("share/")
    assert column.share_image.storage.exists(column.share_image.name)


def test_experts_not_used_are_thanked_not_told_they_were_rejected(
    editor, in_review, expert_b, django_capture_on_commit_callbacks
):
    column, _answer = in_review
    AnswerFactory(column=column, expert=expert_b.expert, status=Answer.Status.REJECTED)
    with django_capture_on_commit_callbacks(execute=True):
        column_publish(column=column, by=editor)
    (thanks,) = [m for m in mail.outbox if m.to == [expert_b.email]]
    assert thanks.subject.startswith("Thank you for answering")
    assert "reject" not in thanks.body.lower()
    assert column.get_absolute_url() in thanks.body


def test_due_columns_are_published_and_early_ones_wait(editor, in_review):
    column, _answer = in_review
    with time_machine.travel(timezone.now(), tick=False) as clock:
        column_schedule(
            column=column, publish_at=timezone.now() + datetime.timedelta(hours=2), by=editor
        )
        assert columns_publish_due() == []
        clock.shift(datetime.timedelta(hours=2))
        assert columns_publish_due() == [column]
        assert columns_publish_due() == []
    column.refresh_from_db()
    assert column.status == Column.Status.PUBLISHED


def test_unschedule_returns_the_column_to_review(editor, in_review):
    column, _answer = in_review
    column_schedule(
        column=column, publish_at=timezone.now() + datetime.timedelta(days=1), by=editor
    )
    column = column_unschedule(column=column, by=editor)
    assert (column.status, column.publish_at) == (Column.Status.REVIEW, None)


def test_publish_due_command_reports_what_it_published(editor, in_review, capsys):
    column, _answer = in_review
    with time_machine.travel(timezone.now(), tick=False) as clock:
        column_schedule(
            column=column, publish_at=timezone.now() + datetime.timedelta(minutes=5), by=editor
        )
        clock.shift(datetime.timedelta(minutes=6))
        call_command("publish_due")
    assert f"Published “{column.title}”" in capsys.readouterr().out


def test_deadline_passing_moves_the_column_to_review_with_one_summary(
    editor, expert_a, django_capture_on_commit_callbacks, settings
):
    settings.EDITOR_EMAIL = "desk@example.com"
    column = ColumnFactory()
    deadline = timezone.now() + datetime.timedelta(days=1)
    column_invite(column=column, experts=[expert_a.expert], deadline=deadline, by=editor)
    with time_machine.travel(deadline + datetime.timedelta(minutes=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert columns_review_due() == [column]
        with django_capture_on_commit_callbacks(execute=True):
            assert columns_review_due() == []
    column.refresh_from_db()
    assert column.status == Column.Status.REVIEW
    assert [m.subject for m in mail.outbox if m.to == ["desk@example.com"]] == [
        f"Ready for review: {column.title}"
    ]


def test_correction_after_publication_is_recorded_and_shown(editor, in_review, client):
    column, _answer = in_review
    column = column_publish(column=column, by=editor)
    old_title = column.title
    column = column_correct(column=column, changes={"title": "Corrected Title"}, by=editor)
    entry = column.transitions.get(action="column_correct")
    assert entry.changes == {"title": [old_title, "Corrected Title"]}
    page = client.get(column.get_absolute_url()).text
    assert "Corrected Title" in page and "Updated" in page


def test_correction_through_the_column_page(editor_client, editor, in_review):
    column, _answer = in_review
    column = column_publish(column=column, by=editor)
    editor_client.post(
        reverse("admin:qa_column_change", args=[column.pk]),
        {
            "title": column.title,
            "dek": "A sharper dek.",
            "intro": column.intro,
            "is_featured": "on",
            "editor_notes": "Fixed the dek after a reader's note.",
        },
    )
    column.refresh_from_db()
    assert (column.dek, column.is_featured, column.corrected_at is not None) == (
        "A sharper dek.",
        True,
        True,
    )
    assert column.transitions.get(action="column_correct").changes == {
        "dek": ["A standfirst.", "A sharper dek."],
        "is_featured": [False, True],
    }


def test_a_due_column_that_cannot_publish_stays_scheduled_and_turns_overdue(editor, in_review):
    column, answer = in_review
    with time_machine.travel(timezone.now(), tick=False) as clock:
        publish_at = timezone.now() + datetime.timedelta(hours=1)
        column_schedule(column=column, publish_at=publish_at, by=editor)
        answer_return_to_draft(answer=answer, note="One more example.", by=editor)
        clock.shift(datetime.timedelta(hours=1, minutes=16))
        assert columns_publish_due() == []
        assert list(columns_overdue()) == [column]
    column.refresh_from_db()
    assert column.status == Column.Status.SCHEDULED
