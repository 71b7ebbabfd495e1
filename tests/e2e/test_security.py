"""The strict CSP holds in the browser, and what readers and experts write never runs as code."""

import pytest
from playwright.sync_api import expect

from ..factories import AnswerFactory
from ..security import xss_payloads


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


def test_the_owasp_payloads_raise_no_dialog_and_no_csp_violation(page, published_column):
    """
    Every payload of the OWASP cheat sheet, in every field the column page and a profile show:
    no dialog opens, and the browser reports no CSP violation, error or failed load from them
    (any console error fails the test through the browser_errors collector).
    """
    payloads = xss_payloads()
    published_column.title = payloads[0][:200]
    published_column.dek = payloads[1]
    published_column.intro = payloads[2]
    published_column.save()
    question = published_column.question
    question.body, question.signature = payloads[3], payloads[4][:60]
    question.save()
    published_column.category.name = payloads[5][:100]
    published_column.category.save()
    answers = [
        AnswerFactory(
            column=published_column,
            headline=payload[:200],
            body=payload,
            expert__name=payload[:120],
            expert__company=payload[:200],
            expert__bio=payload,
            expert__company_url="javascript:alert(1)" if n % 2 else "https://example.com",
        )
        for n, payload in enumerate(payloads)
    ]
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(published_column.get_absolute_url())
    expect(page.locator("section.answer")).to_have_count(len(answers) + 2)
    for answer in answers[:20]:
        page.goto(answer.expert.get_absolute_url())
    page.goto("/")
    assert dialogs == []
    assert page.evaluate("() => window.xssFired") is None
