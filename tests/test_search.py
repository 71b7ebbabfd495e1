import pytest

from qa.models import Answer
from qa.search import columns_like, excerpt, highlight, search_columns, significant_words

from .factories import AnswerFactory, ColumnFactory

pytestmark = pytest.mark.django_db


def test_finds_a_column_by_a_word_only_in_an_approved_answer(after_commit):
    with after_commit():
        answer = AnswerFactory(
            column=ColumnFactory(published=True), body="Try a zephyrine approach."
        )
    assert list(search_columns("zephyrine")) == [answer.column]


def test_ignores_drafts_and_unapproved_answers(after_commit):
    with after_commit():
        AnswerFactory(column=ColumnFactory(), body="zephyrine")
        AnswerFactory(
            column=ColumnFactory(published=True), body="zephyrine", status=Answer.Status.SUBMITTED
        )
    assert not search_columns("zephyrine").exists()


@pytest.mark.parametrize("query", ["", "   ", "x", "\x00", "a" * 10_000])
def test_empty_or_odd_queries_give_an_empty_result(query):
    ColumnFactory(published=True)
    assert list(search_columns(query)) == []


def test_matches_title_dek_and_question_too(after_commit):
    with after_commit():
        column = ColumnFactory(published=True, title="Salary talks", dek="Negotiating bravely")
        column.question.body = "How do I ask for a raise from a stingy manager?"
        column.question.save()
    for query in ["salary", "negotiating", "stingy"]:
        assert list(search_columns(query)) == [column], query


def test_every_term_must_match(after_commit):
    with after_commit():
        AnswerFactory(column=ColumnFactory(published=True), body="zephyrine only")
    assert not search_columns("zephyrine quokka").exists()


def test_terms_may_match_in_different_parts_of_a_column(after_commit):
    """One word in the title, the other in an answer: the column holds both, on either database."""
    with after_commit():
        column = ColumnFactory(published=True, title="The zephyrine interview")
        AnswerFactory(column=column, body="Ask about the quokka budget.")
        AnswerFactory(column=ColumnFactory(published=True), body="zephyrine alone")
    assert list(search_columns("zephyrine quokka")) == [column]


def test_title_match_ranks_first_on_postgresql(after_commit):
    from django.db import connection

    with after_commit():
        in_answer = AnswerFactory(column=ColumnFactory(published=True), body="Mention of quokka.")
        in_title = ColumnFactory(published=True, title="The quokka question")
    results = list(search_columns("quokka"))
    assert set(results) == {in_answer.column, in_title}
    if connection.vendor == "postgresql":
        assert results[0] == in_title


def test_highlight_escapes_and_marks():
    assert highlight("Send <b>thank-you</b> notes", ["note"]) == (
        "Send &lt;b&gt;thank-you&lt;/b&gt; <mark>notes</mark>"
    )
    assert highlight("Interviewing well", ["interviews"]) == "<mark>Interviewing</mark> well"


def test_excerpt_centres_on_the_first_match():
    text = "word " * 200 + "the zephyrine moment " + "word " * 200
    passage = excerpt([None, "no match here", text], ["zephyrine"])
    assert "<mark>zephyrine</mark>" in passage
    assert passage.startswith("… ") and passage.endswith(" …")
    assert excerpt(["nothing"], ["zephyrine"]) is None


def test_significant_words_skip_common_short_and_repeated_words():
    text = "Should I really follow up with the interviewer? Interviewer etiquette, please."
    assert significant_words(text) == ["interviewer", "etiquette", "follow"]


def test_columns_like_ranks_by_words_matched_and_ignores_drafts(after_commit):
    with after_commit():
        both = ColumnFactory(published=True, title="Salary negotiation for a remote job")
        one = ColumnFactory(published=True, title="Salary bands explained")
        ColumnFactory(title="Salary negotiation draft")  # not published
    text = "How do I start a salary negotiation when the offer is lower than I hoped?"
    assert columns_like(text) == [both, one]
    assert columns_like("") == []


def test_columns_like_query_count_is_fixed(django_assert_num_queries, after_commit):
    with after_commit():
        ColumnFactory.create_batch(3, published=True, title="Salary negotiation tips")
    text = "salary negotiation remote offer counteroffer benefits equity vesting"
    with django_assert_num_queries(6):  # one per significant word, then the columns
        assert len(columns_like(text)) == 3


@pytest.mark.django_db
def test_search_finds_experts_by_name_company_and_handle(client):
    from tests.factories import AnswerFactory, ColumnFactory, ExpertFactory

    byline = ExpertFactory(
        name="Dorothy Tannahill-Moran",
        company="Next Chapter New Life",
        company_url="https://twitter.com/NextChapterDot",
        is_active=False,
    )
    AnswerFactory(column=ColumnFactory(published=True), expert=byline)
    hidden = ExpertFactory(name="Tannahill Hidden", is_active=False)  # nothing published
    for query in ["Tannahill", "next chapter", "@NextChapterDot"]:
        page = client.get("/search/", {"q": query}).text
        assert byline.get_absolute_url() in page, query
        assert hidden.get_absolute_url() not in page


@pytest.mark.django_db
def test_search_covers_the_standing_intro(client, after_commit):
    from tests.factories import ColumnFactory

    with after_commit():
        column = ColumnFactory(published=True, intro="Each week our approved panelists answer.")
    assert column.get_absolute_url() in client.get("/search/", {"q": "panelists"}).text


@pytest.mark.django_db
def test_a_search_with_no_match_says_so_and_suggests_the_archive_and_topics(client):
    from tests.factories import ColumnFactory

    column = ColumnFactory(published=True)
    page = client.get("/search/", {"q": "xylophone"}).text
    assert "No column and no expert matches “xylophone”" in page
    assert 'href="/columns/"' in page and column.category.get_absolute_url() in page
    assert "Type a word or two" not in page
