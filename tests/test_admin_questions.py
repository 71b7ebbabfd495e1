import pytest
from django.urls import reverse

from qa.models import Question

from .factories import ColumnFactory, QuestionFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:qa_question_changelist"
Status = Question.Status


def test_queue_shows_excerpt_category_status_signature_age_and_similar(editor_client):
    QuestionFactory(body="How do I negotiate salary for a remote engineering position?")
    QuestionFactory(body="Negotiate a salary increase for my remote position?")
    QuestionFactory(body="Should I wear a suit to an interview at a startup?")
    response = editor_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    for heading in ["Question", "Category", "Status", "Signature", "Age", "Similar"]:
        assert f">{heading}<" in response.text
    similar = {q.body[:20]: q.similar_total for q in response.context["cl"].result_list}
    assert similar == {
        "How do I negotiate s": 1,
        "Negotiate a salary i": 1,
        "Should I wear a suit": 0,
    }


def test_queue_leaves_out_spam_and_deleted_unless_asked(editor_client):
    QuestionFactory(body="In the queue, a question about job interviews.")
    QuestionFactory(body="Spam, a question about cheap watches.", status=Status.SPAM)
    QuestionFactory(body="Withdrawn by its reader.", status=Status.WITHDRAWN)
    default = editor_client.get(reverse(CHANGELIST)).text
    assert "In the queue" in default and "cheap watches" not in default
    spam = editor_client.get(reverse(CHANGELIST), {"status": "spam"}).text
    assert "cheap watches" in spam and "In the queue, a" not in spam
    everything = editor_client.get(reverse(CHANGELIST), {"status": "all"}).text
    assert "Withdrawn by its reader" in everything


def test_queue_query_count_does_not_grow_with_the_queue(editor_client, django_assert_num_queries):
    QuestionFactory.create_batch(3)
    editor_client.get(reverse(CHANGELIST))
    with django_assert_num_queries(10) as few:
        editor_client.get(reverse(CHANGELIST))
    QuestionFactory.create_batch(30)
    with django_assert_num_queries(len(few) + 1):  # the 30 new texts, cut into words once
        editor_client.get(reverse(CHANGELIST))
    with django_assert_num_queries(len(few)):  # their words now come from the cache
        editor_client.get(reverse(CHANGELIST))


def test_search_filters_and_sorting(editor_client):
    QuestionFactory(body="A question about a zanzibar relocation offer.")
    QuestionFactory(body="A question about something else entirely.")
    found = editor_client.get(reverse(CHANGELIST), {"q": "zanzibar"})
    assert [q.body for q in found.context["cl"].result_list] == [
        "A question about a zanzibar relocation offer."
    ]
    by_age = editor_client.get(reverse(CHANGELIST), {"o": "5"})  # the age column
    assert by_age.status_code == 200
    filters = [str(spec.title) for spec in by_age.context["cl"].filter_specs]
    assert filters == ["status", "category", "created"]


def bulk(client, action, questions, **filters):
    return client.post(
        reverse(CHANGELIST) + ("?status=all" if filters.get("all") else ""),
        {"action": action, "_selected_action": [q.pk for q in questions]},
        follow=True,
    )


def test_bulk_actions_call_the_services_and_report(editor_client):
    new, picked = QuestionFactory(), ColumnFactory().question
    response = bulk(editor_client, "shortlist", [new, picked], all=True)
    new.refresh_from_db()
    assert new.status == Status.SHORTLISTED
    assert "1 question shortlisted." in response.text
    assert "is picked; only new or declined questions can be shortlisted" in response.text
    assert new.transitions.get().by.username == "ed"

    bulk(editor_client, "decline", [new])
    new.refresh_from_db()
    assert new.status == Status.DECLINED

    response = bulk(editor_client, "spam_mark", [new])
    new.refresh_from_db()
    assert new.status == Status.SPAM
    assert "undo" in response.text

    bulk(editor_client, "spam_restore", [new], all=True)
    new.refresh_from_db()
    assert new.status == Status.NEW


def test_question_page_shows_the_reader_similar_questions_and_close_columns(
    editor_client, after_commit
):
    with after_commit():
        column = ColumnFactory(
            published=True, title="Can I follow up with an interviewer on Facebook?"
        )
    question = QuestionFactory(
        name="Dana Private",
        email="dana@private.example",
        body="Is messaging my interviewer on Facebook too forward after the interview?",
    )
    twin = QuestionFactory(body="Facebook message to the interviewer: too forward?")
    response = editor_client.get(reverse("admin:qa_question_change", args=[question.pk]))
    assert "Dana Private" in response.text and "dana@private.example" in response.text
    assert reverse("admin:qa_question_change", args=[twin.pk]) in response.text
    assert column.get_absolute_url() in response.text


def test_reader_text_is_escaped_in_the_queue(editor_client):
    question = QuestionFactory(body="<script>alert(1)</script> and a question about interviews")
    twin = QuestionFactory(body="<script>alert(2)</script> and a question about interviews")
    assert "<script>alert" not in editor_client.get(reverse(CHANGELIST)).text
    page = editor_client.get(reverse("admin:qa_question_change", args=[twin.pk])).text
    assert "&lt;script&gt;alert(1)" in page and "<script>alert" not in page
    assert question.pk


def test_experts_cannot_open_the_queue(expert_a_client):
    question = QuestionFactory()
    assert expert_a_client.get(reverse(CHANGELIST)).status_code == 403
    response = expert_a_client.get(reverse("admin:qa_question_change", args=[question.pk]))
    assert response.status_code in (302, 403)


def test_queue_counts_no_further_than_the_cap(editor_client, monkeypatch):
    """Past the cap the list says "more than", and no query counts the whole table."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qa.admin.paginators import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "cap", 2)
    QuestionFactory.create_batch(3)
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get(reverse(CHANGELIST))
    assert "more than 2 questions" in response.text
    assert "Select all matching questions" in response.text
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT 3" in sql for sql in counts)
    assert "TRUNC" not in " ".join(q["sql"].upper() for q in queries.captured_queries)


def test_queue_under_the_cap_shows_its_count(editor_client):
    QuestionFactory.create_batch(3)
    assert "3 questions" in editor_client.get(reverse(CHANGELIST)).text
