import datetime
import random
import re

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from qa import services, similar
from qa.models import Question
from qa.search import significant_words

from .factories import ColumnFactory, QuestionFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:qa_question_changelist"
Status = Question.Status


@pytest.fixture(autouse=True)
def _no_pool_from_another_test():
    """Each test starts as a new web process would, without a similar pool of its own."""
    similar._last_used.clear()


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


# Session, user, groups, user and group permissions, the category filter, the capped count,
# the similar pool's stamp, the page of questions, and the sidebar's publication check.
QUEUE_QUERIES = 10


def test_queue_query_count_does_not_grow_with_the_queue(editor_client, django_assert_num_queries):
    QuestionFactory.create_batch(3)
    editor_client.get(reverse(CHANGELIST))
    with django_assert_num_queries(QUEUE_QUERIES):
        editor_client.get(reverse(CHANGELIST))
    QuestionFactory.create_batch(30)
    # The pool's stamp moved: its rows read again, and the 30 new texts cut into words once.
    with django_assert_num_queries(QUEUE_QUERIES + 2):
        editor_client.get(reverse(CHANGELIST))
    with django_assert_num_queries(QUEUE_QUERIES):
        editor_client.get(reverse(CHANGELIST))


def test_another_process_takes_the_pool_from_the_cache(editor_client, django_assert_num_queries):
    """A web process that has not seen the pool yet reads it whole from the cache."""
    QuestionFactory.create_batch(5)
    first = editor_client.get(reverse(CHANGELIST)).context["cl"].result_list
    similar._last_used.clear()
    with django_assert_num_queries(QUEUE_QUERIES):
        again = editor_client.get(reverse(CHANGELIST)).context["cl"].result_list
    assert [q.similar_total for q in again] == [q.similar_total for q in first] == [4] * 5


def test_a_cleared_cache_rebuilds_the_pool(editor_client, django_assert_num_queries):
    QuestionFactory.create_batch(5)
    editor_client.get(reverse(CHANGELIST))
    cache.clear()
    # The pool's rows read again; the words of their texts are still in this process.
    with django_assert_num_queries(QUEUE_QUERIES + 1):
        response = editor_client.get(reverse(CHANGELIST))
    assert [q.similar_total for q in response.context["cl"].result_list] == [4] * 5
    cache.clear()
    similar._last_used.clear()
    # A new process: the texts read and cut into words again.
    with django_assert_num_queries(QUEUE_QUERIES + 2):
        response = editor_client.get(reverse(CHANGELIST))
    assert [q.similar_total for q in response.context["cl"].result_list] == [4] * 5


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

    from qa.paginators import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "cap", 2)
    QuestionFactory.create_batch(3)
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get(reverse(CHANGELIST))
    assert "more than 2 questions" in response.text
    assert "Select all matching questions" in response.text
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    # The list's count, and the similar pool's stamp (at most SIMILAR_POOL_SIZE rows).
    assert any("COUNT(*)" in sql and "LIMIT 3)" in sql for sql in counts)
    assert all(re.search(r"LIMIT \d+\) subquery", sql) for sql in counts)
    assert "TRUNC" not in " ".join(q["sql"].upper() for q in queries.captured_queries)


def test_queue_under_the_cap_shows_its_count(editor_client):
    QuestionFactory.create_batch(3)
    assert "3 questions" in editor_client.get(reverse(CHANGELIST)).text


def test_queue_pages_on_past_the_cap(editor_client, monkeypatch):
    """Each page counts ``cap`` rows past its own start, so paging on is never a dead end."""
    from qa.admin.questions import QuestionAdmin
    from qa.paginators import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "cap", 3)
    monkeypatch.setattr(QuestionAdmin, "list_per_page", 2)
    QuestionFactory.create_batch(9)
    shown = {
        page: editor_client.get(reverse(CHANGELIST), {"p": page}).context["cl"]
        for page in (1, 2, 3, 4, 5)
    }
    assert [cl.paginator.reach for cl in shown.values()] == [3, 5, 7, 9, 11]
    assert [cl.paginator.capped for cl in shown.values()] == [True, True, True, False, False]
    assert [cl.result_count for cl in shown.values()] == [3, 5, 7, 9, 9]
    assert [len(cl.result_list) for cl in shown.values()] == [2, 2, 2, 2, 1]
    assert "more than 5 questions" in editor_client.get(reverse(CHANGELIST), {"p": 2}).text
    assert "9 questions" in editor_client.get(reverse(CHANGELIST), {"p": 4}).text


@pytest.mark.parametrize("page", ["0", "-3", "x", "9" * 40, "9" * 5000, "1.5"])
def test_queue_refuses_a_bad_page_number_gently(editor_client, page):
    QuestionFactory.create_batch(2)
    response = editor_client.get(reverse(CHANGELIST), {"p": page})
    assert response.status_code in (200, 302)


def test_row_checkbox_is_the_admins_own_markup(rf, editor):
    """The checkbox is built without a widget template, to the same markup, escaped alike."""
    from django.contrib import admin as django_admin
    from django.contrib.admin import ModelAdmin

    question = QuestionFactory(body='Is "<b>overtime</b>" & weekend work fair? É')
    question_admin = django_admin.site._registry[Question]
    built = question_admin.action_checkbox(question)
    assert built == ModelAdmin.action_checkbox(question_admin, question)
    assert "&lt;b&gt;" in built and "<b>" not in built


def test_row_links_are_the_admins_own(editor_client):
    """The change URL is reversed once per page, to the same link for every row."""
    from django.contrib.admin.views.main import ChangeList

    QuestionFactory.create_batch(3)
    response = editor_client.get(reverse(CHANGELIST))
    cl = response.context["cl"]
    for question in cl.result_list:
        link = reverse("admin:qa_question_change", args=[question.pk])
        assert cl.url_for_result(question) == ChangeList.url_for_result(cl, question) == link
        assert f'href="{link}"' in response.text


def _days_ago(days):
    from django.utils import timezone

    return timezone.now() - datetime.timedelta(days=days)


def reference_similar(question):
    """
    The rule, checked by brute force: the queue's newest SIMILAR_POOL_SIZE questions of the
    last SIMILAR_POOL_DAYS that have the same text, or at least SIMILAR_SHARED_WORDS of the
    question's significant words (fewer if it has fewer), newest first.
    """
    pool = (
        Question.objects.in_queue()
        .filter(created_at__gte=_days_ago(similar.SIMILAR_POOL_DAYS))
        .order_by("-created_at", "-pk")[: similar.SIMILAR_POOL_SIZE]
    )
    words = set(significant_words(question.body, limit=similar.SIMILAR_WORDS))
    needed = min(similar.SIMILAR_SHARED_WORDS, len(words)) or 1
    return [
        other.pk
        for other in pool
        if other.pk != question.pk
        and (
            (question.body and other.fingerprint == question.fingerprint)
            or len(words & set(significant_words(other.body, limit=similar.SIMILAR_WORDS)))
            >= needed
        )
    ]


VOCABULARY = [
    "salary",
    "raise",
    "promotion",
    "interview",
    "recruiter",
    "manager",
    "overtime",
    "remote",
    "office",
    "contract",
    "freelance",
    "resume",
    "portfolio",
    "reference",
    "internship",
    "layoff",
    "severance",
    "negotiation",
    "startup",
    "benefits",
    "pension",
    "commute",
    "relocation",
    "mentor",
]


def _made_up_queue(seed=7):
    """
    Questions sharing words at random, some repeated in other case and spacing (a few with no
    significant word, alike only by their text), some old or out of the queue, more than the
    (shrunk) pool holds.
    """
    rng = random.Random(seed)
    questions = []
    for n in range(60):
        body = " ".join(rng.sample(VOCABULARY, rng.randint(1, 5))) + f"? ({n})"
        if n % 9 == 0 and questions:
            body = "  " + questions[-1].body.upper()
        if n % 7 == 0:
            body = rng.choice(["Why not?", "WHY  not?", "Is it ok?"])
        status = rng.choice([Status.NEW] * 6 + [Status.SHORTLISTED, Status.DECLINED, Status.SPAM])
        questions.append(
            QuestionFactory(body=body, status=status, created_at=_days_ago(rng.uniform(0, 260)))
        )
    return questions


def _assert_as_the_rule_says(editor_client):
    rows = editor_client.get(reverse(CHANGELIST)).context["cl"].result_list
    assert {q.pk: q.similar_total for q in rows} == {q.pk: len(reference_similar(q)) for q in rows}
    pool = similar.similar_pool()
    for question in Question.objects.all():
        assert pool.similar_to(question) == reference_similar(question), question.body
    return rows


def test_similar_counts_follow_the_rule_through_every_change(editor_client, editor, monkeypatch):
    """
    Same counts and lists as the rule gives, from a cold cache, from the kept pool, and after
    each change that moves the pool: a new question, one marked as spam or restored, a text
    edited, an older question taking the last place, time passing the window's edge.
    """
    monkeypatch.setattr(similar, "SIMILAR_POOL_SIZE", 25)
    _made_up_queue()
    rows = _assert_as_the_rule_says(editor_client)
    in_window = Question.objects.in_queue().filter(created_at__gte=_days_ago(180))
    assert len(rows) > in_window.count() > 25 and any(q.similar_total for q in rows)
    _assert_as_the_rule_says(editor_client)

    QuestionFactory(body="Salary negotiation with a startup recruiter?")
    _assert_as_the_rule_says(editor_client)

    queue = Question.objects.in_queue().order_by("-created_at")
    # Out of the pool, not the last one changed: an older question takes the last place.
    leaving = queue[5]
    services.question_spam_mark(question=leaving, by=None)
    _assert_as_the_rule_says(editor_client)
    services.question_spam_restore(question=leaving, by=None)
    _assert_as_the_rule_says(editor_client)

    edited = queue[3]
    edited.body = "Pension and severance after a layoff, and a reference?"
    edited.save()
    _assert_as_the_rule_says(editor_client)

    queue[8].delete()
    _assert_as_the_rule_says(editor_client)

    with time_machine.travel(_days_ago(-150), tick=False):
        editor_client.force_login(editor)
        _assert_as_the_rule_says(editor_client)
