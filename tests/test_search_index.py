"""
The columns' stored search documents never go stale: each path that changes a column's title,
dek, question or approved answers makes the new words findable and the old ones not, once its
transaction commits. The paths through published columns are checked through search on every
database; the document itself (unpublished columns, one refresh per transaction, the rebuild)
is PostgreSQL's.
"""

import datetime
import hashlib
import io
import json

import pytest
from django.contrib.postgres.search import SearchQuery
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from devdata.scale import data_generate
from qa.catalogue import columns_import_file
from qa.models import Answer, Column
from qa.search import search_columns
from qa.search_index import ANSWERS_CHARS, search_vectors_refresh
from qa.services import (
    answer_approve,
    answer_edit,
    answer_reject,
    answer_return_to_draft,
    answer_save_draft,
    answer_submit,
    answers_reorder,
    column_correct,
    column_invite,
    column_pick,
    column_publish,
)

from .factories import AnswerFactory, ColumnFactory, QuestionFactory

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite keeps no search document (search reads the texts); set DATABASE_URL to a "
    "PostgreSQL database to run this.",
)

REFRESH = "UPDATE qa_column AS target"


def found(word):
    return list(search_columns(word))


def in_document(column, word):
    """Whether ``column``'s stored document holds ``word`` (PostgreSQL)."""
    query = SearchQuery(word, search_type="plain", config="english")
    return Column.objects.filter(pk=column.pk, search_vector=query).exists()


def refreshes(queries):
    return [query["sql"] for query in queries.captured_queries if REFRESH in query["sql"]]


@pytest.fixture
def published(after_commit):
    """A published column with one approved answer about a zephyrine."""
    with after_commit():
        column = ColumnFactory(published=True, title="Zorilla manners", dek="After the okapi.")
        AnswerFactory(column=column, body="Send a zephyrine note.", position=0)
    return column


# -- every database: through search -------------------------------------------------------


def test_answer_edit_of_a_published_answer(published, editor, after_commit):
    answer = published.answers.get()
    assert found("zephyrine") == [published]
    with after_commit():
        answer_edit(answer=answer, changes={"body": "Send a quokka note."}, by=editor)
    assert found("quokka") == [published]
    assert found("zephyrine") == []


def test_a_correction_of_the_title_and_dek(published, editor, after_commit):
    with after_commit():
        other = ColumnFactory(published=True, title="Something else")
        AnswerFactory(column=other, body="A word on the marmoset.")
    with after_commit():
        column_correct(
            column=published,
            changes={"title": "The marmoset rule", "dek": "A wombat standfirst."},
            by=editor,
        )
    assert found("zorilla") == [] and found("okapi") == []
    assert found("wombat") == [published]
    results = found("marmoset")
    assert set(results) == {published, other}
    if connection.vendor == "postgresql":
        assert results[0] == published, "a title match comes first"


def test_the_question_edited_by_an_editor_in_the_admin(published, editor_client, after_commit):
    question = published.question
    url = reverse("admin:qa_question_change", args=[question.pk])
    with after_commit():
        response = editor_client.post(
            url,
            {
                "body": "How do I thank an ocelot?",
                "category": question.category_id,
                "signature": question.signature,
                "name": question.name,
                "email": question.email,
                "_save": "Save",
            },
        )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.body == "How do I thank an ocelot?"
    assert found("ocelot") == [published]


def test_a_column_made_through_the_week_is_found_once_published(editor, expert_a, after_commit):
    question = QuestionFactory(body="Is a capybara interview normal?")
    with after_commit():
        column = column_pick(question=question, week=timezone.localdate(), by=editor)
        (answer,) = column_invite(
            column=column,
            experts=[expert_a.expert],
            deadline=timezone.now() + datetime.timedelta(days=3),
            by=editor,
        )
        answer_submit(
            answer=answer, headline="Yes", body="Bring a pangolin.", version=None, by=expert_a
        )
        answer_approve(answer=answer, by=editor)
    assert found("pangolin") == []
    with after_commit():
        column_publish(column=column, by=editor)
    assert found("pangolin") == [column]
    assert found("capybara") == [column]


def catalogue_file(tmp_path, answers, name="columns.json"):
    path = tmp_path / name
    path.write_text(
        json.dumps(
            [
                {
                    "title": "An imported column",
                    "slug": "an-imported-column",
                    "category": "Job Interviews",
                    "published_at": "2013-06-14T09:00:00+00:00",
                    "question": {"text": "Should I mention my llama?", "signature": "D"},
                    "answers": [
                        {"expert": {"name": f"Expert {index}"}, "body": body}
                        for index, body in enumerate(answers)
                    ],
                },
                {
                    "title": "Another imported column",
                    "category": "Job Interviews",
                    "published_at": "2013-06-21T09:00:00+00:00",
                    "question": {"text": "What about the weekend?"},
                    "answers": [{"expert": {"name": "Expert 9"}, "body": "Rest well."}],
                },
            ]
        ),
        encoding="utf-8",
    )
    return path


def test_catalogue_import_and_reimport(tmp_path, after_commit):
    with CaptureQueriesContext(connection) as queries, after_commit():
        (column, _other) = columns_import_file(
            catalogue_file(tmp_path, ["Mention the alpaca.", "Mention the vicuna."])
        )
    assert found("alpaca") == [column]
    assert found("llama") == [column]
    if connection.vendor == "postgresql":
        assert len(refreshes(queries)) == 1, "one UPDATE for the whole file"
    with after_commit():
        columns_import_file(catalogue_file(tmp_path, ["Mention the guanaco."]))
    assert found("guanaco") == [column]
    assert found("alpaca") == []
    assert found("vicuna") == [], "the answer the new file dropped is gone"


def test_generate_data_indexes_what_it_makes():
    data_generate(columns=3, questions=5, experts=3, answers_per_column=2, stream=io.StringIO())
    column = Column.objects.order_by("pk").first()
    word = column.title.split()[-1]
    assert column in found(word)
    if connection.vendor == "postgresql":
        assert not Column.objects.filter(search_vector__isnull=True).exists()


def test_the_demo_column_is_found_by_its_answers(after_commit):
    with after_commit():
        call_command("load_demo", stdout=io.StringIO())
    (column,) = found("immersed")
    assert column.title == "Should I Follow Up With An Interviewer Over Facebook?"


# -- every database: hostile queries --------------------------------------------------------

HOSTILE = [
    "a" * 100_000,
    " ".join(["interview"] * 5_000),
    "interview & salary | !offer",
    "interview:* <-> salary",
    "!!! & | :* <-> <2> ()",
    "'interview' & 'salary'",
    "((((interview",
    "interview))))",
    "\\",
    "' OR 1=1 --",
    "%_%",
    "\x00interview\x00",
    "\ud800interview",
    "\u202einterview",
    "e\u0301e\u0301 zephyrine",
    "😀 interview 😀",
    "面试 工资",
    "İstanbul straße",
    "ǅ" * 500,
    "\ufeff\u200b\u200d",
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_never_error(published, query):
    assert len(list(search_columns(query)[:10])) <= 1
    assert search_columns(query).count() <= 1


query_pieces = st.one_of(
    st.characters(),
    st.sampled_from(list("'\\\":&|!<>()*-@/.#+ ") + ["<->", "<2>", ":*", ":AB", "''", "\u0301"]),
    st.sampled_from(["interview", "zephyrine", "the", "O'Brien", "thank-you", "a\\b"]),
)
odd_queries = st.lists(query_pieces, max_size=60).map("".join)


@hypothesis_settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=odd_queries)
def test_any_query_gives_a_result_never_an_error(published, query):
    """Operators, quotes, backslashes and any Unicode, as one string or among real words."""
    for text in (query, f"zephyrine {query}", f"{query} zorilla"):
        assert search_columns(text).count() <= 1
        assert len(list(search_columns(text)[:10])) <= 1


def test_title_words_with_hyphens_and_apostrophes_rank_first(after_commit):
    with after_commit():
        in_answer = AnswerFactory(
            column=ColumnFactory(published=True), body="A thank-you to O'Brien."
        )
        in_title = ColumnFactory(published=True, title="Thank-you notes for O'Brien")
    results = found("thank-you O'Brien")
    assert set(results) == {in_answer.column, in_title}
    if connection.vendor == "postgresql":
        assert results[0] == in_title


def test_search_page_query_count_does_not_grow_with_results(
    client, after_commit, django_assert_num_queries
):
    """The publication, the count, one page of columns, their answers, their questions."""
    with after_commit():
        for _ in range(3):
            AnswerFactory(column=ColumnFactory(published=True), body="A zephyrine answer.")
    client.get("/search/", {"q": "zephyrine"})
    with django_assert_num_queries(5):
        assert client.get("/search/", {"q": "zephyrine"}).text.count("<mark>") >= 3
    with after_commit():
        for _ in range(12):
            AnswerFactory(column=ColumnFactory(published=True), body="A zephyrine answer.")
    with django_assert_num_queries(5):
        assert "zephyrine" in client.get("/search/", {"q": "zephyrine"}).text


# -- PostgreSQL: the document itself ---------------------------------------------------------


def in_review(column, *bodies):
    return [
        AnswerFactory(column=column, body=body, status=Answer.Status.SUBMITTED, position=n)
        for n, body in enumerate(bodies)
    ]


@on_postgresql
def test_approve_adds_and_reject_and_return_take_away(editor, after_commit):
    with after_commit():
        column = ColumnFactory(status=Column.Status.REVIEW)
        first, second = in_review(column, "The zephyrine way.", "The quokka way.")
    assert not in_document(column, "zephyrine")
    with after_commit():
        answer_approve(answer=first, by=editor)
        answer_approve(answer=second, by=editor)
    assert in_document(column, "zephyrine") and in_document(column, "quokka")
    with after_commit():
        answer_reject(answer=first, reason="Off topic.", by=editor)
    assert not in_document(column, "zephyrine")
    with after_commit():
        answer_return_to_draft(answer=second, note="Shorter, please.", by=editor)
    assert not in_document(column, "quokka")


@on_postgresql
def test_editing_an_unpublished_column_in_the_admin(editor_client, after_commit):
    with after_commit():
        column = ColumnFactory(status=Column.Status.REVIEW, title="Old wombat title")
    url = reverse("admin:qa_column_change", args=[column.pk])
    data = {
        "title": "New ocelot title",
        "slug": column.slug,
        "dek": "A marmoset dek.",
        "intro": column.intro,
        "category": column.category_id,
        "editor_notes": "",
        "_save": "Save",
    }
    with after_commit():
        assert editor_client.post(url, data).status_code == 302
    assert in_document(column, "ocelot") and in_document(column, "marmoset")
    assert not in_document(column, "wombat")


@on_postgresql
def test_the_document_weighs_title_dek_question_and_answers():
    column = ColumnFactory(title="Title", dek="Dek")
    column.question.body = "Question"
    column.question.save(update_fields=["body"])
    AnswerFactory(column=column, body="Second", position=2)
    AnswerFactory(column=column, body="First", position=1)
    AnswerFactory(column=column, body="Unused", status=Answer.Status.REJECTED)
    search_vectors_refresh(column_ids=[column.pk])
    document = Column.objects.values_list("search_vector", flat=True).get(pk=column.pk)
    assert document == "'dek':2B 'first':4 'question':3C 'second':5 'titl':1A"


@on_postgresql
def test_one_refresh_per_transaction_and_none_for_other_changes(
    published, editor, expert_a, after_commit
):
    second = AnswerFactory(column=published, body="The quokka way.", position=1)
    first = published.answers.get(position=0)
    with CaptureQueriesContext(connection) as queries, after_commit(), transaction.atomic():
        answers_reorder(column=published, order=[second.pk, first.pk], by=editor)
        answer_edit(answer=first, changes={"body": "A wombat note."}, by=editor)
        answer_edit(answer=second, changes={"body": "An ocelot note."}, by=editor)
    assert len(refreshes(queries)) == 1
    assert found("wombat") == [published] and found("ocelot") == [published]

    with after_commit():
        (invited,) = column_invite(
            column=ColumnFactory(),
            experts=[expert_a.expert],
            deadline=timezone.now() + datetime.timedelta(days=3),
            by=editor,
        )
        answer_save_draft(answer=invited, headline="", body="Not", version=None, by=expert_a)
    with CaptureQueriesContext(connection) as queries, after_commit():
        answer_save_draft(answer=invited, headline="", body="Not yet", version=None, by=expert_a)
        answer_edit(answer=invited, changes={"body": "Not yet."}, by=editor)
        column_correct(column=published, changes={"is_featured": True}, by=editor)
    assert refreshes(queries) == [], "a draft's text and the featured flag are not searched"


@on_postgresql
def test_a_rolled_back_savepoint_does_not_lose_the_refresh(published, editor, after_commit):
    answer = published.answers.get()
    with after_commit():
        with pytest.raises(RuntimeError), transaction.atomic():
            answer_edit(answer=answer, changes={"body": "A wombat note."}, by=editor)
            raise RuntimeError
        answer_edit(answer=answer, changes={"body": "An ocelot note."}, by=editor)
    assert found("ocelot") == [published]
    assert found("wombat") == [] and found("zephyrine") == []


@on_postgresql
def test_saving_a_column_loaded_earlier_keeps_the_newer_document(published, editor, after_commit):
    stale = Column.objects.get(pk=published.pk)
    assert "search_vector" in stale.get_deferred_fields()
    assert "search_vector" in Answer.objects.get(column=published).column.get_deferred_fields()
    with after_commit():
        answer_edit(answer=published.answers.get(), changes={"body": "Quokka."}, by=editor)
    with after_commit():
        stale.is_featured = True
        stale.save()
    assert found("quokka") == [published]


@on_postgresql
def test_hostile_text_cannot_overflow_a_document():
    """
    32,000 distinct 32-letter words (over 1 MB) need more than a tsvector holds; the document
    takes the first ANSWERS_CHARS characters of the answers.
    """
    column = ColumnFactory(published=True)
    words = [hashlib.sha256(str(n).encode()).hexdigest()[:32] for n in range(32_000)]
    answer = AnswerFactory(column=column, body="short")
    Answer.objects.filter(pk=answer.pk).update(body=" ".join(words))
    assert search_vectors_refresh(column_ids=[column.pk]) == 1
    assert found(words[0]) == [column]
    assert found(words[-1]) == []
    assert len(" ".join(words)) > ANSWERS_CHARS


@on_postgresql
def test_rebuild_command_mends_documents_that_went_stale(published):
    Column.objects.filter(pk=published.pk).update(search_vector=None)
    assert found("zephyrine") == []
    out = io.StringIO()
    call_command("search_index_rebuild", "--batch-size", "1", stdout=out)
    assert "1 were out of date" in out.getvalue()
    assert found("zephyrine") == [published]
    call_command("search_index_rebuild", stdout=out)
    assert "0 were out of date" in out.getvalue()


@on_postgresql
def test_search_has_one_index_left():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'qa_%%_gin'")
        indexes = {name for (name,) in cursor.fetchall()}
        cursor.execute(
            "SELECT attstorage FROM pg_attribute "
            "WHERE attrelid = 'qa_column'::regclass AND attname = 'search_vector'"
        )
        (storage,) = cursor.fetchone()
    assert indexes == {"qa_column_search_vector_gin"}
    assert storage == "m", "documents are kept in the row"


def test_the_rebuild_command_on_sqlite_says_there_is_nothing_to_do():
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL rebuilds; see the test above.")
    out = io.StringIO()
    call_command("search_index_rebuild", stdout=out)
    assert "Nothing to rebuild" in out.getvalue()
