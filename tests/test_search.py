import pytest

from qa.models import Answer
from qa.search import search_columns

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
