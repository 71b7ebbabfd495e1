"""The strict CSP holds in the browser, and what readers and experts write never runs as code."""

import pytest
from playwright.sync_api import expect

from ..factories import AnswerFactory


def test_inline_script_is_refused_and_reported(page, published_column, browser_errors):
    page.goto(published_column.get_absolute_url())

    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.append(script);
        }"""
    )

    assert page.evaluate("() => window.injected") is None
    assert any("Content Security Policy" in message for message in browser_errors.seen)
    browser_errors.allow("Content Security Policy")


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert('answer')</script>",
        "<img src=x onerror=\"alert('answer')\">",
        "[click](javascript:alert('answer'))",
    ],
)
def test_hostile_text_in_a_column_does_not_run(page, published_column, browser_errors, markdown):
    browser_errors.allow(r"/x: Failed to load resource")  # the stripped <img> still loads "x"
    question = published_column.question
    question.body = "<script>alert('question')</script> Is this safe?"
    question.save()
    AnswerFactory(column=published_column, headline="<b>Hostile</b>", body=markdown)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(published_column.get_absolute_url())
    for link in page.get_by_role("link", name="click").all():
        link.click()

    expect(page.locator("blockquote")).to_contain_text("<script>alert('question')</script>")
    expect(page.get_by_role("heading", name="<b>Hostile</b>")).to_be_visible()
    assert dialogs == []
