import pytest

from qa.models import Answer
from qa.search import columns_like, search_columns, significant_words

from .factories import AnswerFactory, ColumnFactory

pytestmark = pytest.mark.django_db


def test_finds_a_column_by_a_word_only_in_an_approved_answer():
    answer = AnswerFactory(column=ColumnFactory(published=True), body="Try a zephyrine approach.")
    assert list(search_columns("zephyrine")) == [answer.column]


def test_ignores_drafts_and_unapproved_answers():
    AnswerFactory(column=ColumnFactory(), body="zephyrine")
    AnswerFactory(
        column=ColumnFactory(published=True), body="zephyrine", status=Answer.Status.SUBMITTED
    )
    assert not search_columns("zephyrine").exists()


@pytest.mark.parametrize("query", ["", "   ", "x", "\x00", "a" * 10_000])
def test_empty_or_odd_queries_give_an_empty_result(query):
    ColumnFactory(published=True)
    assert list(search_columns(query)) == []


def test_significant_words_skip_common_short_and_repeated_words():
    text = "Should I really follow up with the interviewer? Interviewer etiquette, please."
    assert significant_words(text) == ["interviewer", "etiquette", "follow"]


def test_columns_like_ranks_by_words_matched_and_ignores_drafts():
    both = ColumnFactory(published=True, title="Salary negotiation for a remote job")
    one = ColumnFactory(published=True, title="Salary bands explained")
    ColumnFactory(title="Salary negotiation draft")  # not published
    text = "How do I start a salary negotiation when the offer is lower than I hoped?"
    assert columns_like(text) == [both, one]
    assert columns_like("") == []


def test_columns_like_query_count_is_fixed(django_assert_num_queries):
    ColumnFactory.create_batch(3, published=True, title="Salary negotiation tips")
    text = "salary negotiation remote offer counteroffer benefits equity vesting"
    with django_assert_num_queries(6):  # one per significant word, then the columns
        assert len(columns_like(text)) == 3
