"""The question queue's pick form: the real week, a whole-word title, the topic corrected."""

import pytest
from django.urls import reverse

from qa.models import Column, Question
from qa.services.columns import TITLE_PROPOSAL_CHARS, title_proposal

from .factories import CategoryFactory, QuestionFactory

pytestmark = pytest.mark.django_db

LETTER = (
    "I was recently let go from my job, and I have an interview next week with a company that "
    "I really like, but the new role comes with no raise and a longer commute than my last "
    "one. I have been looking for four months. Should I take the job if they offer it?"
)


@pytest.mark.parametrize(
    "body, proposal",
    [
        (LETTER, "Should I take the job if they offer it?"),
        ("Is it okay to follow up on Facebook?", "Is it okay to follow up on Facebook?"),
        ("Short letter. No question here", "Short letter."),
    ],
)
def test_the_title_proposal_is_the_readers_question_in_whole_words(body, proposal):
    assert title_proposal(body) == proposal


def test_a_long_letter_without_a_short_sentence_is_proposed_in_whole_words():
    body = ("unbelievably " * 30).strip() + " raises"
    proposal = title_proposal(body)
    assert len(proposal) <= TITLE_PROPOSAL_CHARS
    assert body.startswith(proposal) and body[len(proposal)] == " ", "never cut mid-word"


def pick_page(editor_client, question, **data):
    return editor_client.post(
        reverse("admin:qa_question_changelist"),
        {"action": "pick_for_week", "_selected_action": [question.pk], **data},
    )


def test_the_pick_form_names_the_week_and_proposes_a_whole_title(editor_client):
    question = QuestionFactory(body=LETTER)
    page = pick_page(editor_client, question).text
    assert "Pick this question for the week of" in page and "…" not in page.split("<h1>")[1][:80]
    assert 'value="Should I take the job if they offer it?"' in page
    assert "pick-title" in page  # the full-width field


def test_the_topic_can_be_corrected_as_the_question_is_picked(editor_client):
    chosen = CategoryFactory(name="Salary")
    right = CategoryFactory(name="Job Offers")
    question = QuestionFactory(body=LETTER, category=chosen)
    response = pick_page(
        editor_client,
        question,
        apply="1",
        week="2027-03-08",
        title="Should I Take The Job?",
        category=right.pk,
    )
    assert response.status_code == 302
    column = Column.objects.get(question=question)
    question.refresh_from_db()
    assert (column.category, question.category, question.status) == (
        right,
        right,
        Question.Status.PICKED,
    )
    assert "topic corrected from Salary to Job Offers" in column.transitions.get().note
