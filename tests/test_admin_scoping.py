import re

import pytest
from django.urls import reverse

from qa.models import Answer

from .factories import AnswerFactory, ColumnFactory, QuestionFactory

pytestmark = pytest.mark.django_db

READER_NAME = "Zelda Privateperson"
READER_EMAIL = "zelda.private@reader.example"


@pytest.fixture
def answers(expert_a, expert_b):
    question = QuestionFactory(name=READER_NAME, email=READER_EMAIL, signature="Z", status="picked")
    column = ColumnFactory(question=question, category=question.category)
    own = AnswerFactory(
        column=column,
        expert=expert_a.expert,
        status=Answer.Status.DRAFT,
        headline="Alice's own headline",
    )
    other = AnswerFactory(
        column=column,
        expert=expert_b.expert,
        status=Answer.Status.DRAFT,
        headline="Bob's secret headline",
        body="Bob's private draft",
    )
    return own, other


def change_url(obj):
    return reverse(f"admin:qa_{obj._meta.model_name}_change", args=[obj.pk])


def test_expert_lists_only_their_own_answers(expert_a_client, answers):
    own, other = answers
    response = expert_a_client.get(reverse("admin:qa_answer_changelist"))
    assert response.status_code == 200
    assert own.column.title in response.text
    assert change_url(own) in response.text
    assert change_url(other) not in response.text


def test_expert_cannot_open_another_experts_answer(expert_a_client, answers):
    _own, other = answers
    response = expert_a_client.get(change_url(other), follow=True)
    assert "Bob's secret headline" not in response.text
    assert "Bob's private draft" not in response.text
    assert response.redirect_chain == [(reverse("admin:index"), 302)]


def test_forged_post_to_another_experts_answer_changes_nothing(expert_a_client, answers):
    _own, other = answers
    response = expert_a_client.post(
        change_url(other), {"headline": "Hijacked", "body": "Hijacked", "status": "approved"}
    )
    assert response.status_code in (302, 403, 404)
    other.refresh_from_db()
    assert (other.headline, other.status) == ("Bob's secret headline", Answer.Status.DRAFT)


def test_expert_cannot_flip_the_status_of_their_own_answer(expert_a_client, answers):
    own, _other = answers
    response = expert_a_client.post(
        change_url(own),
        {"headline": "New headline", "body": "New body", "status": "approved", "position": 99},
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.headline == "New headline"
    assert own.status == Answer.Status.DRAFT
    assert own.position != 99


def test_expert_cannot_delete(expert_a_client, answers):
    own, _other = answers
    response = expert_a_client.post(
        reverse("admin:qa_answer_delete", args=[own.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Answer.objects.filter(pk=own.pk).exists()


@pytest.mark.parametrize("model", ["question", "column", "category", "publication", "transition"])
def test_editor_tools_are_closed_to_experts(expert_a_client, answers, model):
    response = expert_a_client.get(reverse(f"admin:qa_{model}_changelist"))
    assert response.status_code == 403


def test_expert_sees_only_their_own_profile(expert_a_client, expert_a, expert_b):
    response = expert_a_client.get(reverse("admin:qa_expert_changelist"))
    assert change_url(expert_a.expert) in response.text
    assert change_url(expert_b.expert) not in response.text
    response = expert_a_client.get(change_url(expert_b.expert), follow=True)
    assert response.redirect_chain == [(reverse("admin:index"), 302)]


def test_expert_edits_profile_fields_but_not_panel_membership(expert_a_client, expert_a):
    expert = expert_a.expert
    response = expert_a_client.post(
        change_url(expert),
        {
            "bio": "New bio",
            "company": "New Co",
            "company_url": "https://new.example",
            "name": "Renamed",
            "is_active": "",
            "slug": "hijack",
        },
    )
    assert response.status_code == 302
    expert.refresh_from_db()
    assert (expert.bio, expert.company, expert.name, expert.is_active, expert.slug) == (
        "New bio",
        "New Co",
        "Expert Alice",
        True,
        "expert-" + expert.slug.split("-")[-1],
    )


def test_reader_pii_is_absent_from_every_page_an_expert_can_open(expert_a_client, answers):
    """Walk every admin link an expert can reach and look for the reader's name and email."""
    seen, queue = set(), [reverse("admin:index")]
    while queue and len(seen) < 300:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = expert_a_client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        assert READER_NAME not in response.text, url
        assert READER_EMAIL not in response.text, url
        for link in re.findall(r'href="(/admin/[^"#]*)"', response.text):
            link = link.replace("&amp;", "&")
            if "logout" not in link and "password" not in link:
                queue.append(link)
    own, _ = answers
    assert change_url(own) in seen
    assert any("/admin/qa/expert/" in url for url in seen)


def test_editor_sees_every_answer_and_reader_contact(editor_client, answers):
    own, other = answers
    listing = editor_client.get(reverse("admin:qa_answer_changelist")).text
    assert change_url(own) in listing and change_url(other) in listing
    question_page = editor_client.get(change_url(own.column.question)).text
    assert READER_EMAIL in question_page


def test_expert_answer_page_shows_the_question_with_its_signature(expert_a_client, answers):
    own, _ = answers
    page = expert_a_client.get(change_url(own)).text
    assert own.column.question.body in page
    assert "- Z" in page
