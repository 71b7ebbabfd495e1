"""The panel's front door: editors add experts, invite them to the panel, and (de)activate them."""

import datetime
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qa.models import Answer, Expert, Transition
from qa.services.accounts import ExpertAccount, expert_account_state

from .factories import AnswerFactory, CategoryFactory, ColumnFactory, ExpertFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://[^\s]+/admin/welcome/[^\s]+/")


def add_expert(editor_client, **fields):
    category = CategoryFactory(name="Job Interviews")
    data = {
        "name": "Ruth Tannahill",
        "slug": "ruth-tannahill",
        "email": "ruth@tannahill.example",
        "company": "Tannahill Careers",
        "company_url": "https://tannahill.example",
        "bio": "",
        "categories": [category.pk],
        **fields,
    }
    response = editor_client.post(reverse("admin:qa_expert_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return Expert.objects.get(slug=data["slug"])


def invite(editor_client, expert, capture):
    with capture(execute=True):
        return editor_client.post(
            reverse("admin:qa_expert_account_action", args=[expert.pk, "invite"])
        )


def test_an_editor_adds_an_expert_who_is_pending_until_invited(editor_client):
    expert = add_expert(editor_client)
    assert expert.user.email == "ruth@tannahill.example"
    assert expert.user.is_staff and not expert.user.has_usable_password()
    assert expert_account_state(expert) == ExpertAccount.PENDING
    assert mail.outbox == [], "adding sends nothing"
    listing = editor_client.get(reverse("admin:qa_expert_changelist")).text
    assert "pending: has not set a password" in listing
    page = editor_client.get(reverse("admin:qa_expert_change", args=[expert.pk])).text
    assert "Invite to the panel" in page and 'data-confirm="Email Ruth Tannahill' in page


def test_the_invitation_link_sets_a_password_once_and_lands_on_the_profile(
    editor_client, django_capture_on_commit_callbacks
):
    expert = add_expert(editor_client)
    invite(editor_client, expert, django_capture_on_commit_callbacks)
    (email,) = mail.outbox
    assert email.to == ["ruth@tannahill.example"]
    link = LINK.search(email.body).group(0)
    path = link.removeprefix("http://127.0.0.1:8000")
    assert expert.user.username in email.body

    newcomer = Client()
    form = newcomer.get(path, follow=True)
    assert "Choose a password to join the panel" in form.text
    response = newcomer.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a long new password 42", "new_password2": "a long new password 42"},
    )
    assert response.status_code == 302
    assert response.url == reverse("admin:qa_expert_change", args=[expert.pk]) + "?welcome=1"
    profile = newcomer.get(response.url).text
    assert "Welcome to the panel" in profile and 'name="bio"' in profile and "headshot" in profile
    expert.refresh_from_db()
    assert expert_account_state(expert) == ExpertAccount.MEMBER

    # Used: the same link is refused.
    again = Client().get(path, follow=True)
    assert "has expired or has already been used" in again.text


def test_an_expired_invitation_link_is_refused(editor_client, django_capture_on_commit_callbacks):
    expert = add_expert(editor_client)
    invite(editor_client, expert, django_capture_on_commit_callbacks)
    path = LINK.search(mail.outbox[0].body).group(0).removeprefix("http://127.0.0.1:8000")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=4)):
        page = Client().get(path, follow=True)
    assert "has expired or has already been used" in page.text
    assert 'name="new_password1"' not in page.text


def test_a_password_reset_link_is_no_invitation(editor_client, editor):
    """The two kinds of token have salts of their own: neither opens the other's door."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    expert = add_expert(editor_client)
    uid = urlsafe_base64_encode(force_bytes(expert.user.pk))
    token = default_token_generator.make_token(expert.user)
    page = Client().get(reverse("panel_welcome", args=[uid, token]), follow=True)
    assert "has expired or has already been used" in page.text


def test_a_member_or_a_byline_is_not_sent_a_panel_invitation(
    editor_client, expert_a, django_capture_on_commit_callbacks
):
    byline = ExpertFactory(name="Bea Byline")
    for expert, message in [
        (expert_a.expert, "has already joined the panel"),
        (byline, "is a byline: add their email first"),
    ]:
        response = invite(editor_client, expert, django_capture_on_commit_callbacks)
        shown = [str(m) for m in editor_client.get(response.url).context["messages"]]
        assert any(message in m for m in shown), shown
    assert mail.outbox == []


def test_a_byline_becomes_a_member_by_adding_an_email_and_inviting(
    editor_client, django_capture_on_commit_callbacks
):
    byline = ExpertFactory(name="Bea Byline", slug="bea-byline")
    AnswerFactory(column=ColumnFactory(published=True), expert=byline)
    assert expert_account_state(byline) == ExpertAccount.BYLINE
    page = editor_client.get(reverse("admin:qa_expert_change", args=[byline.pk])).text
    assert "byline (no login)" in page
    response = editor_client.post(
        reverse("admin:qa_expert_change", args=[byline.pk]),
        {"name": "Bea Byline", "slug": "bea-byline", "email": "bea@example.com", "company": ""},
    )
    assert response.status_code == 302
    byline.refresh_from_db()
    assert expert_account_state(byline) == ExpertAccount.PENDING
    invite(editor_client, byline, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["bea@example.com"]]
    assert byline.answers.count() == 1, "the byline's published answers are theirs still"


def test_an_email_already_in_use_is_refused_and_nothing_is_lost(editor_client, expert_a):
    response = editor_client.post(
        reverse("admin:qa_expert_add"),
        {"name": "Copy Cat", "slug": "copy-cat", "email": expert_a.email.upper(), "bio": "Kept"},
    )
    assert response.status_code == 200
    assert "Another account already uses this email." in response.text
    assert "Kept" in response.text
    assert not Expert.objects.filter(slug="copy-cat").exists()


def test_deactivate_and_reactivate(editor_client, expert_a):
    expert = expert_a.expert
    column = ColumnFactory(published=True)
    AnswerFactory(column=column, expert=expert, status=Answer.Status.APPROVED)
    url = reverse("admin:qa_expert_account_action", args=[expert.pk, "deactivate"])
    editor_client.post(url)
    expert.refresh_from_db()
    expert_a.refresh_from_db()
    assert not expert.is_active and not expert_a.is_active
    signin = Client().post(
        reverse("admin:login"), {"username": expert_a.username, "password": "pw", "next": "/admin/"}
    )
    assert signin.status_code == 200, "an inactive expert cannot sign in"
    assert expert.name in Client().get(column.get_absolute_url()).text, "answers stay"
    invite_page = editor_client.get(
        reverse("admin:qa_column_invite", args=[ColumnFactory(week=None).pk])
    ).text
    assert f'value="{expert.pk}"' not in invite_page
    editor_client.post(reverse("admin:qa_expert_account_action", args=[expert.pk, "reactivate"]))
    expert.refresh_from_db()
    assert expert.is_active and get_user_model().objects.get(pk=expert_a.pk).is_active
    assert list(
        Transition.objects.filter(action__startswith="expert_")
        .order_by("at", "id")
        .values_list("action", flat=True)
    ) == ["expert_deactivate", "expert_reactivate"]


def test_account_actions_are_for_editors_and_by_post(client, expert_a, expert_b):
    url = reverse("admin:qa_expert_account_action", args=[expert_b.expert.pk, "deactivate"])
    client.force_login(expert_a)
    assert client.post(url).status_code == 403
    expert_b.refresh_from_db()
    assert expert_b.is_active


def test_a_pending_expert_is_not_offered_for_an_answer_yet(editor_client):
    expert = add_expert(editor_client)
    column = ColumnFactory(week=None, category=expert.categories.first())
    page = editor_client.get(reverse("admin:qa_column_invite", args=[column.pk])).text
    assert f'value="{expert.pk}"' not in page
    assert "Ruth Tannahill has not joined the panel yet" in page


def test_an_invited_expert_joins_the_public_panel_when_they_set_their_password(
    editor_client, django_capture_on_commit_callbacks
):
    expert = add_expert(editor_client)
    invite(editor_client, expert, django_capture_on_commit_callbacks)
    reader = Client()
    assert "Ruth Tannahill" not in reader.get("/experts/").text  # cached while pending
    assert reader.get(expert.get_absolute_url()).status_code == 404
    path = LINK.search(mail.outbox[0].body).group(0).removeprefix("http://127.0.0.1:8000")
    newcomer = Client()
    form = newcomer.get(path, follow=True)
    newcomer.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a long new password 42", "new_password2": "a long new password 42"},
    )
    assert "Ruth Tannahill" in reader.get("/experts/").text
    assert reader.get(expert.get_absolute_url()).status_code == 200
    assert Transition.objects.filter(action="expert_panel_join", note="Ruth Tannahill").exists()
