"""The week run by hand in the admin, with the demo accounts, and who may open what."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qa import selectors
from qa.demo import demo_load
from qa.models import Answer, Column, Expert, Question
from qa.services import (
    answer_approve,
    answer_decline,
    answer_edit,
    answer_submit,
    column_publish,
    column_schedule,
)

from .conftest import confirm_and_post
from .factories import AnswerFactory, ColumnFactory, QuestionFactory

NY = zoneinfo.ZoneInfo("America/New_York")
MONDAY = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=NY)


def signed_in(username, password):
    client = Client()
    response = client.post(
        reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"}
    )
    assert response.status_code == 302, "sign-in failed"
    return client


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("committed_roles")
def test_the_week_by_hand_with_the_demo_accounts():
    """Pick, invite, one answer and one decline, approve, order, schedule, publish_due."""
    with time_machine.travel(MONDAY, tick=False) as clock:
        demo_load()
        mail.outbox.clear()
        editor = signed_in("editor", "editor-demo-2026")
        debra = signed_in("debra", "expert-demo-2026")
        don = signed_in("don", "expert-demo-2026")
        question = Question.objects.get(signature="Teacher in Tulsa")

        # 1. The editor picks (the intermediate page proposes the next free week) and invites.
        changelist = reverse("admin:qa_question_changelist")
        page = editor.post(
            changelist, {"action": "pick_for_week", "_selected_action": [question.pk]}
        )
        assert "Pick for the week of" in page.text and 'value="2026-03-16"' in page.text
        response = editor.post(
            changelist,
            {
                "action": "pick_for_week",
                "_selected_action": [question.pk],
                "apply": "1",
                "week": "2026-03-16",
                "title": "How Do I Explain A Career Change?",
            },
        )
        column = Column.objects.get(question=question)
        assert response.url == reverse("admin:qa_column_invite", args=[column.pk])
        don_expert = Expert.objects.get(user__username="don")
        debra_expert = Expert.objects.get(user__username="debra")
        invite = editor.get(response.url)
        # The default selection: the active panel members of the column's category.
        assert invite.context["form"].initial["experts"] == [don_expert.pk]
        editor.post(
            response.url,
            {"experts": [debra_expert.pk, don_expert.pk], "deadline": "2026-03-05T17:00"},
        )
        column.refresh_from_db()
        assert column.status == Column.Status.COLLECTING
        debra_answer = column.answers.get(expert=debra_expert)
        don_answer = column.answers.get(expert=don_expert)

        # 2. Debra lands on her invitations and answers; Don declines.
        landing = debra.get(reverse("admin:index")).text
        assert "Your invitations" in landing and column.title in landing
        answer_url = reverse("admin:qa_answer_change", args=[debra_answer.pk])
        page = debra.get(answer_url).text
        assert "Submit to the editor" in page and "the guide: 80 to 250 words" in page
        body = "Own the change. " * 30
        debra.post(
            answer_url,
            {
                "headline": "Own The Change",
                "body": body,
                "expected_version": "1",
                "_save_draft": "1",
            },
        )
        debra.post(
            answer_url,
            {"headline": "Own The Change", "body": body, "expected_version": "2", "_submit": "1"},
        )
        don.post(
            reverse("admin:qa_answer_change", args=[don_answer.pk]),
            {"headline": "", "body": "", "decline_reason": "Travelling.", "_decline": "1"},
        )
        debra_answer.refresh_from_db()
        don_answer.refresh_from_db()
        assert (debra_answer.status, don_answer.status) == ("submitted", "declined")
        column.refresh_from_db()
        assert column.status == Column.Status.REVIEW  # everyone answered or declined

        # 3. The editor approves, orders and schedules.
        column_page = reverse("admin:qa_column_change", args=[column.pk])
        assert "Own The Change" in editor.get(column_page).text
        action = "admin:qa_column_answer_action"
        editor.post(reverse(action, args=[column.pk, debra_answer.pk, "approve"]))
        editor.post(reverse(action, args=[column.pk, don_answer.pk, "up"]))
        editor.post(reverse(action, args=[column.pk, debra_answer.pk, "up"]))
        assert list(column.answers.order_by("position").values_list("expert__name", flat=True)) == [
            "Debra Wheatman",
            "Don Goodman",
        ]
        preview = editor.get(reverse("qa:column_preview", args=[column.pk]))
        assert "Own The Change" in preview.text and "Preview" in preview.text
        schedule = reverse("admin:qa_column_schedule", args=[column.pk])
        assert "America/New_York" in editor.get(schedule).text
        confirm_and_post(editor, schedule, {"publish_at": "2026-03-16T07:00", "_schedule": "1"})
        column.refresh_from_db()
        assert column.status == Column.Status.SCHEDULED

        # 4. publish_due publishes once its time has come.
        clock.move_to(datetime.datetime(2026, 3, 16, 7, 1, tzinfo=NY))
        call_command("publish_due")
        column.refresh_from_db()
        assert column.status == Column.Status.PUBLISHED
        assert "Own The Change" in Client().get(column.get_absolute_url()).text

    # 5. The emails, once each.
    subjects = sorted((m.to[0], m.subject) for m in mail.outbox)
    assert ("debra@example.com", f"You’re published: {column.title}") in subjects
    assert not any(to == "don@example.com" and "published" in s for to, s in subjects)
    assert sum("Will you answer" in s for _to, s in subjects) == 2
    assert sum(s.startswith("Ready for review") for _to, s in subjects) == 1
    assert len(subjects) == len(set(subjects))


@pytest.fixture
def week(editor, expert_a, expert_b):
    """A column in review: A's answer submitted, B's a draft."""
    question = QuestionFactory(name="Zelda Privateperson", email="zelda@reader.example")
    column = ColumnFactory(question=question, category=question.category, week=None)
    a = AnswerFactory(column=column, expert=expert_a.expert, status=Answer.Status.INVITED)
    b = AnswerFactory(column=column, expert=expert_b.expert, status=Answer.Status.INVITED)
    Column.objects.filter(pk=column.pk).update(
        status=Column.Status.COLLECTING,
        answer_deadline=timezone.now() + datetime.timedelta(days=2),
    )
    column.refresh_from_db()
    a = answer_submit(answer=a, headline="A's", body="A's answer.", version=1, by=expert_a)
    return column, a, b


def editor_urls(column, a):
    return [
        reverse("admin:qa_column_calendar"),
        reverse("admin:qa_column_panel"),
        reverse("admin:qa_column_change", args=[column.pk]),
        reverse("admin:qa_column_invite", args=[column.pk]),
        reverse("admin:qa_column_schedule", args=[column.pk]),
        reverse("qa:column_preview", args=[column.pk]),
    ]


@pytest.mark.django_db
def test_permission_matrix(client, editor, expert_a, expert_b, week):
    column, a, b = week
    own_a = reverse("admin:qa_answer_change", args=[a.pk])
    own_b = reverse("admin:qa_answer_change", args=[b.pk])
    for url in [*editor_urls(column, a), own_a]:
        response = Client().get(url)
        assert response.status_code == 302 and "login" in response.url, url
    clients = {"A": Client(), "B": Client(), "editor": Client()}
    clients["A"].force_login(expert_a)
    clients["B"].force_login(expert_b)
    clients["editor"].force_login(editor)
    for url in editor_urls(column, a):
        assert clients["A"].get(url).status_code == 403, url
        assert clients["B"].get(url).status_code == 403, url
        assert clients["editor"].get(url).status_code == 200, url
    assert clients["A"].get(own_a).status_code == 200
    assert clients["B"].get(own_a).status_code == 302  # "doesn't exist", back to the index
    assert clients["A"].get(own_b).status_code == 302
    assert clients["editor"].get(own_b).status_code == 200


@pytest.mark.django_db
def test_forged_posts_by_experts_change_nothing(client, expert_a, expert_b, week):
    column, a, b = week
    client.force_login(expert_b)
    client.post(
        reverse("admin:qa_answer_change", args=[a.pk]),
        {"headline": "Hijacked", "body": "Hijacked", "expected_version": a.version, "_submit": "1"},
    )
    client.force_login(expert_a)
    for verb in ["approve", "reject", "return", "up"]:
        url = reverse("admin:qa_column_answer_action", args=[column.pk, a.pk, verb])
        assert client.post(url, {"note": "x"}).status_code == 403
    schedule = reverse("admin:qa_column_schedule", args=[column.pk])
    assert client.post(schedule, {"_publish_now": "1"}).status_code == 403
    a.refresh_from_db()
    column.refresh_from_db()
    assert (a.headline, a.status, column.status) == ("A's", "submitted", "collecting")


@pytest.mark.django_db
def test_expert_pages_never_show_reader_pii(expert_a_client, week):
    column, a, _b = week
    for url in [reverse("admin:index"), reverse("admin:qa_answer_change", args=[a.pk])]:
        page = expert_a_client.get(url).text
        assert column.title in page
        assert "Zelda" not in page and "zelda@reader.example" not in page


@pytest.mark.django_db
def test_a_stale_expert_save_is_refused_and_keeps_the_text(expert_a_client, editor, week):
    _column, a, _b = week
    answer_edit(answer=a, changes={"headline": "Editor's headline"}, by=editor)
    response = expert_a_client.post(
        reverse("admin:qa_answer_change", args=[a.pk]),
        {
            "headline": "My headline",
            "body": "What I typed meanwhile",
            "expected_version": a.version,
            "_save_draft": "1",
        },
    )
    assert response.status_code == 200
    assert "changed since you opened it" in response.text
    assert "What I typed meanwhile" in response.text
    a.refresh_from_db()
    assert a.headline == "Editor's headline"


@pytest.mark.django_db
def test_editor_edit_is_recorded_in_the_history(editor_client, week):
    column, a, _b = week
    editor_client.post(
        reverse("admin:qa_answer_change", args=[a.pk]),
        {"headline": "Sharper headline", "body": a.body, "position": a.position, "editor_note": ""},
    )
    entry = column.transitions.get(action="answer_edit")
    assert entry.changes == {"headline": ["A's", "Sharper headline"]}
    page = editor_client.get(reverse("admin:qa_column_change", args=[column.pk])).text
    assert "Sharper headline" in page and "answer_edit" in page


@pytest.mark.django_db
def test_publishing_validation_messages_in_the_admin(editor_client, week):
    column, _a, _b = week
    Column.objects.filter(pk=column.pk).update(title="")
    response = editor_client.post(
        reverse("admin:qa_column_schedule", args=[column.pk]), {"_publish_now": "1"}
    )
    assert "It needs a title." in response.text
    assert "It needs at least one approved answer." in response.text
    column.refresh_from_db()
    assert column.status == Column.Status.COLLECTING


@pytest.mark.django_db
def test_overdue_alert_on_the_index_and_the_calendar(editor_client, editor, week):
    column, a, _b = week
    answer_approve(answer=a, by=editor)
    with time_machine.travel(MONDAY, tick=False) as clock:
        column_schedule(column=column, publish_at=MONDAY + datetime.timedelta(hours=1), by=editor)
        clock.move_to(MONDAY + datetime.timedelta(hours=1, minutes=14))
        assert "did not happen" not in editor_client.get(reverse("admin:index")).text
        clock.move_to(MONDAY + datetime.timedelta(hours=1, minutes=16))
        for url in [reverse("admin:index"), reverse("admin:qa_column_calendar")]:
            page = editor_client.get(url).text
            assert "Scheduled publishing did not happen" in page and column.title in page


@pytest.mark.django_db
def test_a_second_pick_for_a_taken_week_names_the_column(editor_client):
    taken = ColumnFactory(week=datetime.date(2026, 3, 9), title="Already Planned")
    question = QuestionFactory()
    response = editor_client.post(
        reverse("admin:qa_question_changelist"),
        {
            "action": "pick_for_week",
            "_selected_action": [question.pk],
            "apply": "1",
            "week": "2026-03-11",
            "title": "Another",
        },
    )
    assert response.status_code == 200
    assert f"already has a column: “{taken.title}”" in response.text
    question.refresh_from_db()
    assert question.status == Question.Status.NEW


@pytest.mark.django_db
def test_inviting_the_same_expert_twice_is_refused(editor_client, expert_a, week):
    column, _a, _b = week
    response = editor_client.post(
        reverse("admin:qa_column_invite", args=[column.pk]),
        {"experts": [expert_a.expert.pk], "deadline": "2031-01-01T17:00"},
    )
    assert f"Already invited: {expert_a.expert.name}." in response.text
    assert column.answers.filter(expert=expert_a.expert).count() == 1


@pytest.mark.django_db
def test_calendar_lists_thirteen_weeks_with_counts(editor_client, week):
    column, _a, _b = week
    Column.objects.filter(pk=column.pk).update(week=datetime.date(2026, 3, 2))
    with time_machine.travel(MONDAY, tick=False):
        page = editor_client.get(reverse("admin:qa_column_calendar")).text
    assert page.count('<th scope="row">') == 13
    assert "Mon Feb 2, 2026" in page and "Mon Apr 27, 2026" in page
    assert "1 / 2" in page  # one answer in of two invited
    assert page.count("Pick from the queue") == 8


@pytest.mark.django_db
def test_expert_invitations_open_first_then_published_columns(expert_a_client, expert_a):
    published = ColumnFactory(published=True, title="Last Month Column")
    AnswerFactory(column=published, expert=expert_a.expert, status=Answer.Status.APPROVED)
    collecting = ColumnFactory(title="This Week Column", status=Column.Status.COLLECTING)
    AnswerFactory(column=collecting, expert=expert_a.expert, status=Answer.Status.INVITED)
    page = expert_a_client.get(reverse("admin:index")).text
    assert page.index("This Week Column") < page.index("Last Month Column")
    assert published.get_absolute_url() in page


@pytest.mark.django_db
def test_preview_is_noindex_and_never_cached(editor_client, week):
    column, _a, _b = week
    response = editor_client.get(reverse("qa:column_preview", args=[column.pk]))
    assert '<meta name="robots" content="noindex, nofollow">' in response.text
    assert "no-cache" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert 'class="preview-banner"' in response.text


@pytest.mark.django_db
def test_preview_shows_the_approved_answers_as_they_will_be_published(editor_client, editor, week):
    column, a, b = week
    before = editor_client.get(reverse("qa:column_preview", args=[column.pk])).text
    assert a.expert.name not in before  # submitted, not approved yet
    answer_approve(answer=a, by=editor)
    page = editor_client.get(reverse("qa:column_preview", args=[column.pk])).text
    assert "<p>A’s answer.</p>" in page
    assert a.expert.name in page and b.expert.name not in page


@pytest.mark.django_db
def test_panel_statistics(
    django_assert_max_num_queries, editor_client, editor, expert_a, expert_b, week
):
    """Invitations, answered, declined, on-time rate, published answers and last feature."""
    column, a, b = week
    answer_approve(answer=a, by=editor)
    answer_decline(answer=b, by=expert_b, reason="Busy")
    column = column_publish(column=column, by=editor)
    with django_assert_max_num_queries(1):
        rows = {e.name: e for e in selectors.panel_statistics()}
    alice, bob = rows[expert_a.expert.name], rows[expert_b.expert.name]
    assert (alice.invitations, alice.answered, alice.declined, alice.on_time, alice.published) == (
        1,
        1,
        0,
        1,
        1,
    )
    assert alice.last_feature == column.published_at
    assert (bob.invitations, bob.answered, bob.declined, bob.published, bob.last_feature) == (
        1,
        0,
        1,
        0,
        None,
    )
    page = editor_client.get(reverse("admin:qa_column_panel")).text
    assert "100%" in page and "never" in page


@pytest.mark.django_db
def test_expert_answer_page_has_preview_word_guide_deadline_and_buttons(expert_a_client, week):
    _column, a, _b = week
    page = expert_a_client.get(reverse("admin:qa_answer_change", args=[a.pk])).text
    assert 'data-markdownx-urls-path="/markdownx/markdownify/"' in page
    assert "qa/word_count.js" in page and 'data-min="80" data-max="250"' in page
    assert "left</strong>" in page and "(America/New_York)" in page
    for button in ["Save draft", "Submit to the editor", "Decline"]:
        assert f'value="{button}"' in page
    assert "<script>" not in page  # CSP: no inline scripts


@pytest.mark.django_db
def test_calendar_weeks_is_one_query(django_assert_num_queries, week):
    with django_assert_num_queries(1):
        weeks = selectors.calendar_weeks(today=datetime.date(2026, 3, 4))
    assert len(weeks) == 13 and weeks[4][0] == datetime.date(2026, 3, 2)
