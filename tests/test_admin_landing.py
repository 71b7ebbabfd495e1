"""The admin's front page: the editors' desk, and the experts' invitations."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from qa.models import Answer, Column, Question
from qa.services import answer_decline, column_invite

from .factories import AnswerFactory, ColumnFactory, QuestionFactory

pytestmark = pytest.mark.django_db

NY = zoneinfo.ZoneInfo("America/New_York")
# A Tuesday morning in the publication's time zone.
NOW = datetime.datetime(2026, 12, 1, 9, 30, tzinfo=NY)
THIS_WEEK = datetime.date(2026, 11, 30)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def desk_week(clock, editor, expert_a, expert_b):
    """This week's column collecting: A invited, B declined, due Wednesday 5 pm."""
    question = QuestionFactory(status=Question.Status.PICKED)
    column = ColumnFactory(
        question=question,
        category=question.category,
        week=THIS_WEEK,
        title="Should I Follow Up Over Facebook?",
    )
    deadline = datetime.datetime(2026, 12, 2, 17, 0, tzinfo=NY)
    a, b = column_invite(
        column=column, experts=[expert_a.expert, expert_b.expert], deadline=deadline, by=editor
    )
    answer_decline(answer=b, by=expert_b, reason="Travelling that week")
    return column, a, b


def desk(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response.text


def test_the_desk_leads_with_this_weeks_column(editor_client, desk_week, expert_a, expert_b):
    column, a, b = desk_week
    page = desk(editor_client)
    assert "This week’s column" in page and column.title in page
    assert "answers due Wed Dec 2, 5:00 p.m. (America/New_York): 1\xa0day, 7\xa0hours left" in page
    assert f"#answer-{a.pk}" in page and f"#answer-{b.pk}" in page
    assert "status-invited" in page and "status-declined" in page
    assert "Everything in the admin" in page, "the models are one click away"


def test_the_desk_lists_what_needs_the_editor_with_links(editor_client, desk_week, editor, clock):
    column, a, _b = desk_week
    # A submitted answer elsewhere, an overdue scheduled column, a new question.
    other = ColumnFactory(week=THIS_WEEK + datetime.timedelta(weeks=1), status="review")
    submitted = AnswerFactory(
        column=other, status=Answer.Status.SUBMITTED, submitted_at=timezone.now()
    )
    late = ColumnFactory(
        week=THIS_WEEK + datetime.timedelta(weeks=2),
        status=Column.Status.SCHEDULED,
        publish_at=timezone.now() - datetime.timedelta(hours=1),
    )
    page = desk(editor_client)
    assert f'/admin/qa/column/{other.pk}/change/#answer-{submitted.pk}"' in page
    assert "1 answer to review" in page
    assert f'/admin/qa/column/{late.pk}/schedule/"' in page
    assert "Scheduled publishing did not happen" in page
    # A is open and due within two days.
    assert "1 invitation open, due within two days" in page
    assert f'/admin/qa/column/{column.pk}/change/#answer-{a.pk}"' in page
    # The strip: this week and five ahead, with or without a column.
    assert page.count('class="desk-strip-week"') == 6
    assert "No column: pick one" in page


def test_new_questions_count_from_the_last_visit(editor_client, editor, desk_week, clock):
    QuestionFactory()  # asked before the first visit, within the week it looks back
    first = desk(editor_client)
    assert "1 new question" in first and "in the last week" in first
    clock.shift(datetime.timedelta(hours=2))
    QuestionFactory()
    # The same session keeps its "since": a reload does not hide what was new.
    assert "2 new questions" in desk(editor_client)
    # The next session counts from the last visit.
    clock.shift(datetime.timedelta(hours=1))
    QuestionFactory()
    later = Client()
    later.force_login(editor)
    page = desk(later)
    assert "1 new question" in page and "since your last visit, Tue Dec 1, 11:30 a.m." in page


def test_history_in_words(editor_client, desk_week):
    page = desk(editor_client)
    assert "Expert Bob declined: Travelling that week" in page
    assert "invited Expert Alice" in page
    assert "answer_invite" not in page and "→" not in page


def test_the_desk_costs_the_same_queries_whatever_the_archive(editor_client, desk_week, editor):
    """The desk's query count with a small archive and with ten times more."""

    def grow(columns):
        for _ in range(columns):
            column = ColumnFactory(published=True)
            for status in ["approved", "approved", "declined"]:
                AnswerFactory(column=column, status=status)
            QuestionFactory()

    def count():
        desk(editor_client)  # the session's "since" settles on the first visit
        with CaptureQueriesContext(connection) as queries:
            desk(editor_client)
        return len(queries)

    grow(3)
    small = count()
    grow(30)
    large = count()
    assert small == large, (small, large)
    print(f"\nThe desk: {small} queries with 3 archived columns, {large} with 33")


def test_an_expert_keeps_their_invitations(client, desk_week, expert_a):
    client.force_login(expert_a)
    page = desk(client)
    assert "Your invitations" in page and "Needs you now" not in page


def test_the_desk_without_any_column(editor_client, clock):
    page = desk(editor_client)
    assert "No column is planned for this week or after." in page
    assert "Nothing waits for you." in page
