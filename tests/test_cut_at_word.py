"""Titles, subjects and lists shorten a reader's text after a whole word, never inside one."""

import pytest

from qa.models import Question, cut_at_word

LETTER = (
    "My manager wants me to stay late for a meeting at 7pm on Fridays and it comes with no "
    "raise at all."
)


def test_short_text_is_kept_on_one_line():
    assert cut_at_word("  Should I\nfollow up?  ", 60) == "Should I follow up?"


def test_a_long_text_ends_on_a_whole_word():
    cut = cut_at_word(LETTER, 60)
    assert cut == "My manager wants me to stay late for a meeting at 7pm on…"
    assert len(cut) <= 61
    assert LETTER.startswith(cut.removesuffix("…"))
    assert LETTER[len(cut) - 1] == " "  # the next character was a space: no word was split


def test_one_long_word_is_cut_at_the_limit():
    assert cut_at_word("x" * 100, 10) == "x" * 10 + "…"


@pytest.mark.parametrize("limit", range(5, 90, 7))
def test_never_half_a_word(limit):
    cut = cut_at_word(LETTER, limit).removesuffix("…")
    words = LETTER.split()
    assert cut.split() == words[: len(cut.split())]


def test_the_questions_name():
    question = Question(body=LETTER)
    assert str(question).endswith("on…")
