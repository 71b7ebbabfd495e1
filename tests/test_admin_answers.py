"""The expert's answer page: the services' rule, shown on the form, with what was typed kept."""

import pytest
from django.utils import timezone

from qa.models import Answer, Column
from qa.services import answer_expert_refusal

from .factories import AnswerFactory, ColumnFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def answer(expert_a):
    column = ColumnFactory(status=Column.Status.COLLECTING)
    return AnswerFactory(column=column, expert=expert_a.expert, status=Answer.Status.INVITED)


def post(client, answer, **data):
    return client.post(f"/admin/qa/answer/{answer.pk}/change/", data)


def test_a_save_over_a_newer_version_is_refused_and_keeps_the_text(expert_a_client, answer):
    Answer.objects.filter(pk=answer.pk).update(version=answer.version + 1)
    response = post(
        expert_a_client, answer, headline="Mine", body="Typed by hand.",
        expected_version=answer.version, _save_draft="1",
    )  # fmt: skip
    assert response.status_code == 200
    assert "changed since you opened it" in response.text
    assert "Typed by hand." in response.text
    answer.refresh_from_db()
    assert answer.body != "Typed by hand."


def test_submitting_an_empty_answer_is_an_error_on_its_field(expert_a_client, answer):
    response = post(
        expert_a_client, answer, headline="Mine", body="  ",
        expected_version=answer.version, _submit="1",
    )  # fmt: skip
    assert response.status_code == 200
    assert "Write your answer before submitting it." in response.text
    answer.refresh_from_db()
    assert answer.status == Answer.Status.INVITED


def test_a_draft_is_saved_through_the_service(expert_a_client, answer):
    response = post(
        expert_a_client, answer, headline="Mine", body="A first go.",
        expected_version=answer.version, _save_draft="1",
    )  # fmt: skip
    assert response.status_code == 302
    answer.refresh_from_db()
    assert (answer.status, answer.body) == (Answer.Status.DRAFT, "A first go.")


def test_one_rule_for_the_form_the_permission_and_the_services(expert_a_client, answer):
    """Once the column is published the page is read-only and a forged post changes nothing."""
    Column.objects.filter(pk=answer.column_id).update(
        status=Column.Status.PUBLISHED, published_at=timezone.now()
    )
    answer.refresh_from_db()
    assert "published" in str(answer_expert_refusal(answer))
    page = expert_a_client.get(f"/admin/qa/answer/{answer.pk}/change/")
    assert page.status_code == 200 and 'name="_save_draft"' not in page.text
    post(
        expert_a_client, answer, headline="Forged", body="Forged.",
        expected_version=answer.version, _save_draft="1",
    )  # fmt: skip
    answer.refresh_from_db()
    assert answer.body != "Forged."
