"""Publishing and scheduling through the confirmation page, and unpublishing."""

import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qa.models import Answer, Column, Dispatch
from qa.services import answer_approve, column_publish

from .conftest import confirm_and_post
from .factories import (
    AnswerFactory,
    ColumnFactory,
    ExpertFactory,
    ExpertUserFactory,
    QuestionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(expert_a, expert_b):
    """
    A column in review with its deadline days away: A approved, B's draft still pending, a
    submitted answer not approved, a declined one, and a byline approved.
    """
    question = QuestionFactory(name="Dana Reader", email="dana@reader.example", signature="D")
    column = ColumnFactory(
        question=question,
        category=question.category,
        week=None,
        title="Should I Follow Up Over Facebook?",
        status=Column.Status.REVIEW,
        answer_deadline=timezone.now() + datetime.timedelta(days=3),
    )
    carol = ExpertUserFactory(username="carol")
    dave = ExpertUserFactory(username="dave")
    byline = ExpertFactory(name="Bea Byline")
    answers = {
        "a": AnswerFactory(column=column, expert=expert_a.expert, headline="Send A Note"),
        "b": AnswerFactory(column=column, expert=expert_b.expert, status=Answer.Status.DRAFT),
        "carol": AnswerFactory(column=column, expert=carol.expert, status=Answer.Status.SUBMITTED),
        "dave": AnswerFactory(column=column, expert=dave.expert, status=Answer.Status.DECLINED),
        "byline": AnswerFactory(column=column, expert=byline, headline="From The Archive"),
    }
    return column, answers


def schedule_url(column):
    return reverse("admin:qa_column_schedule", args=[column.pk])


def test_publish_now_asks_first_and_shows_what_will_happen(editor_client, week, expert_b):
    column, answers = week
    page = editor_client.post(schedule_url(column), {"_publish_now": "1"})
    assert page.status_code == 200
    column.refresh_from_db()
    assert column.status == Column.Status.REVIEW, "nothing happens before the confirmation"
    text = page.text
    # The page as it will appear: the public template, the approved answers only.
    assert '<h1 id="column-title">Should I Follow Up Over Facebook?</h1>' in text
    assert "Send A Note" in text and "From The Archive" in text
    assert answers["carol"].headline not in text
    # The deadline is still ahead, and who is left out, and what becomes of them.
    assert "The answer deadline has not passed" in text
    assert re.search(
        rf"{expert_b.expert.name}</strong>: still pending, a draft not submitted", text
    )
    assert "Expert Carol</strong>: submitted, not approved: left out, the expert is thanked" in text
    assert "Expert Dave</strong>: declined" in text
    # The emails, to whom.
    outgoing = text[
        text.index('id="outgoing"') : text.index("</section>", text.index('id="outgoing"'))
    ]
    assert "Dana Reader</strong> &lt;dana@reader.example&gt;" in outgoing
    assert "Expert Alice" in outgoing
    for expert in ["Expert Carol", expert_b.expert.name]:
        assert expert in outgoing
    assert "Expert Dave" not in outgoing and "Bea Byline" not in outgoing
    assert mail.outbox == []


def test_confirmed_publication_sends_exactly_the_emails_listed(
    editor_client, week, expert_a, expert_b, django_capture_on_commit_callbacks
):
    column, _answers = week
    page = editor_client.post(schedule_url(column), {"_publish_now": "1"}).text
    listed = re.findall(r"&lt;([^&]+)&gt;, [^“\n]*“([^”]+)”", page)
    with django_capture_on_commit_callbacks(execute=True):
        response = confirm_and_post(editor_client, schedule_url(column), {"_publish_now": "1"})
    assert response.status_code == 302
    column.refresh_from_db()
    assert column.status == Column.Status.PUBLISHED
    sent = [(m.to[0], m.subject) for m in mail.outbox]
    assert sorted(sent) == sorted(listed)
    assert len(sent) == 4  # the reader, A published, Carol thanked, B's invitation closed
    assert ("dana@reader.example", f"You’re published: {column.title}") in sent
    assert (expert_b.email, f"Invitation closed: {column.title}") in sent
    messages = [str(m) for m in editor_client.get(response.url).context["messages"]]
    assert "Published. 4 emails are on their way." in messages


def test_a_confirmation_from_a_stale_page_is_shown_again(editor_client, editor, week):
    """Something changed between the page and the click: nothing is published."""
    column, answers = week
    page = editor_client.post(schedule_url(column), {"_publish_now": "1"}).text
    stamp = re.search(r'name="confirmed" value="([0-9a-f]+)"', page).group(1)
    answer_approve(answer=answers["carol"], by=editor)
    again = editor_client.post(schedule_url(column), {"_publish_now": "1", "confirmed": stamp})
    assert again.status_code == 200
    assert "The column changed since this page was drawn" in again.text
    column.refresh_from_db()
    assert column.status == Column.Status.REVIEW


def test_scheduling_goes_through_the_confirmation(editor_client, week):
    column, _answers = week
    when = timezone.localtime(timezone.now() + datetime.timedelta(days=5)).replace(
        second=0, microsecond=0
    )
    data = {"publish_at": f"{when:%Y-%m-%dT%H:%M}", "_schedule": "1"}
    page = editor_client.post(schedule_url(column), data)
    assert "Schedule this column for" in page.text
    assert "What will go out when it is published" in page.text
    column.refresh_from_db()
    assert column.status == Column.Status.REVIEW
    confirm_and_post(editor_client, schedule_url(column), data)
    column.refresh_from_db()
    assert (column.status, column.publish_at) == (Column.Status.SCHEDULED, when)
    assert mail.outbox == []


def test_a_past_time_or_a_column_not_ready_is_refused_before_the_confirmation(editor_client, week):
    column, answers = week
    past = {"publish_at": "2020-01-01T09:00", "_schedule": "1"}
    response = editor_client.post(schedule_url(column), past)
    assert "That time has passed" in response.text and 'name="confirmed"' not in response.text
    Answer.objects.filter(column=column, status=Answer.Status.APPROVED).update(
        status=Answer.Status.SUBMITTED
    )
    response = editor_client.post(schedule_url(column), {"_publish_now": "1"})
    assert "It needs at least one approved answer." in response.text
    assert 'name="confirmed"' not in response.text


@pytest.fixture
def published(editor, week, django_capture_on_commit_callbacks):
    column, _answers = week
    with django_capture_on_commit_callbacks(execute=True):
        column_publish(column=column, by=editor)
    column.refresh_from_db()
    return column


def test_unpublish_asks_then_takes_the_column_off_the_site(editor_client, published):
    column = published
    url = reverse("admin:qa_column_unpublish", args=[column.pk])
    public = Client()
    assert public.get(column.get_absolute_url()).status_code == 200
    assert column.title in public.get("/feed/").text
    page = editor_client.get(url)
    assert page.status_code == 200 and "answer “not found” (404)" in page.text
    column.refresh_from_db()
    assert column.status == Column.Status.PUBLISHED, "a GET changes nothing"

    response = editor_client.post(url, {"reason": "Published a week early"})
    assert response.status_code == 302
    column.refresh_from_db()
    assert column.status == Column.Status.REVIEW
    assert public.get(column.get_absolute_url()).status_code == 404
    for listing in ["/", "/columns/", "/feed/", "/feed/atom/", "/sitemap.xml"]:
        assert column.get_absolute_url() not in public.get(listing).text, listing
    entry = column.transitions.get(action="column_unpublish")
    assert (entry.from_status, entry.to_status, entry.note) == (
        "published",
        "review",
        "Published a week early",
    )


def test_publishing_again_emails_nobody(
    editor_client, editor, published, django_capture_on_commit_callbacks
):
    column = published
    sent = len(mail.outbox)
    assert sent == 4
    editor_client.post(reverse("admin:qa_column_unpublish", args=[column.pk]))
    page = editor_client.post(schedule_url(column), {"_publish_now": "1"}).text
    assert "publishing it again emails nobody" in page
    assert "No email." in page
    with django_capture_on_commit_callbacks(execute=True):
        response = confirm_and_post(editor_client, schedule_url(column), {"_publish_now": "1"})
    column.refresh_from_db()
    assert column.status == Column.Status.PUBLISHED
    assert len(mail.outbox) == sent
    assert Dispatch.objects.count() == sent
    messages = [str(m) for m in editor_client.get(response.url).context["messages"]]
    assert "Published. Nobody was emailed." in messages
    assert column.transitions.filter(action="column_publish").count() == 2


def test_unpublishing_a_column_that_is_not_published_changes_nothing(editor_client, week):
    column, _answers = week
    response = editor_client.post(reverse("admin:qa_column_unpublish", args=[column.pk]))
    assert response.status_code == 302
    column.refresh_from_db()
    assert column.status == Column.Status.REVIEW
    assert not column.transitions.filter(action="column_unpublish").exists()


def test_once_published_the_column_page_stops_speaking_of_deadlines(editor_client, published):
    page = editor_client.get(reverse("admin:qa_column_change", args=[published.pk])).text
    status = page[page.index('class="column-status"') :][:400]
    assert "answers due" not in status and "Published" in status
    assert reverse("admin:qa_column_unpublish", args=[published.pk]) in page


# -- invitations that reach someone ---------------------------------------------------------


@pytest.fixture
def collecting(expert_a):
    column = ColumnFactory(week=None, status=Column.Status.DRAFT)
    byline = ExpertFactory(name="Bea Byline", company="Archive Inc")
    byline.categories.add(column.category)
    expert_a.expert.categories.add(column.category)
    return column, byline


def invite_url(column):
    return reverse("admin:qa_column_invite", args=[column.pk])


def test_a_byline_is_never_offered_and_says_why(editor_client, collecting, expert_a):
    column, byline = collecting
    page = editor_client.get(invite_url(column)).text
    assert f'value="{expert_a.expert.pk}"' in page
    assert f'value="{byline.pk}"' not in page
    assert "Bea Byline is a byline, with no login" in page
    assert 'data-confirm="Email an invitation to each expert ticked?"' in page


def test_inviting_a_byline_is_refused_and_records_nothing(
    editor_client, collecting, expert_a, django_capture_on_commit_callbacks
):
    """A forged POST with the byline's id: a clear message, no answer, no history, no email."""
    column, byline = collecting
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            invite_url(column),
            {"experts": [expert_a.expert.pk, byline.pk], "deadline": "2099-01-01T17:00"},
        )
    assert response.status_code == 200
    assert "Bea Byline is a byline, with no login: they could not receive the invitation" in (
        response.text
    )
    assert not column.answers.exists()
    assert not column.transitions.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("why", ["byline", "inactive login", "inactive expert", "no email"])
def test_the_invitation_service_refuses_whoever_it_cannot_reach(editor, collecting, expert_a, why):
    from qa.services import TransitionNotAllowed, column_invite

    column, byline = collecting
    expert = expert_a.expert
    if why == "byline":
        expert = byline
    elif why == "inactive login":
        expert_a.is_active = False
        expert_a.save()
    elif why == "inactive expert":
        expert.is_active = False
        expert.save()
    else:
        expert_a.email = ""
        expert_a.save()
    expert.refresh_from_db()
    with pytest.raises(TransitionNotAllowed) as refused:
        column_invite(
            column=column,
            experts=[expert],
            deadline=timezone.now() + datetime.timedelta(days=2),
            by=editor,
        )
    assert refused.value.field == "experts" and expert.name in str(refused.value)
    assert not column.answers.exists()


def test_nobody_to_invite_says_so_instead_of_an_empty_form(editor_client, collecting, expert_a):
    column, _byline = collecting
    expert_a.is_active = False
    expert_a.save()
    page = editor_client.get(invite_url(column)).text
    assert "Nobody on the panel can be invited." in page
    assert "Send invitations" not in page


def test_actions_that_email_someone_ask_first(editor_client, expert_a, week):
    """Each button that emails someone carries the question the browser asks (confirm.js)."""
    column, answers = week
    Answer.objects.filter(pk=answers["a"].pk).update(status=Answer.Status.SUBMITTED)
    page = editor_client.get(reverse("admin:qa_column_change", args=[column.pk])).text
    assert 'data-confirm="Reject Expert Alice’s answer and email them your reason?"' in page
    assert 'data-confirm="Return Expert Alice’s answer to draft and email them your note?"' in (
        page
    )
    assert "qa/confirm.js" in page
    Column.objects.filter(pk=column.pk).update(status=Column.Status.COLLECTING)
    Answer.objects.filter(pk=answers["a"].pk).update(status=Answer.Status.DRAFT)
    expert_client = Client()
    expert_client.force_login(expert_a)
    mine = expert_client.get(reverse("admin:qa_answer_change", args=[answers["a"].pk])).text
    assert 'name="_decline" value="Decline" formnovalidate data-confirm="Decline this' in mine
