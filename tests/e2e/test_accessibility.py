"""axe-core on every public page that exists: no serious or critical violations."""

import pytest


def _send_an_empty_question(page):
    """The ask form sent as it is, so that it comes back with its errors."""
    with page.expect_navigation() as sent:
        page.get_by_role("button", name="Send my question").click()
    return sent.value


# Each public page: its path for the fixture ``published_column``. The screenshots reuse them.
PAGES = {
    "home": lambda column: "/",
    "column": lambda column: column.get_absolute_url(),
    "archive": lambda column: "/columns/",
    "topic": lambda column: column.category.get_absolute_url(),
    "experts": lambda column: "/experts/",
    "expert-profile": lambda column: column.answers.order_by("position")[
        0
    ].expert.get_absolute_url(),
    "search-results": lambda column: "/search/?q=Facebook+interview",
    "ask": lambda column: "/ask/",
    "ask-with-errors": lambda column: "/ask/",
    "question-status": lambda column: column.question.get_status_url(),
}
# What the reader does on the page before it is looked at.
THEN = {"ask-with-errors": _send_an_empty_question}


def open_page(page, column, name):
    """Go to the public page ``name`` as a reader would; returns the last response."""
    response = page.goto(PAGES[name](column))
    if name in THEN:
        response = THEN[name](page)
    return response


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_accessibility_violations(page, published_column, axe, name):
    response = open_page(page, published_column, name)
    assert response.ok, response.status

    report = axe(page, label=name)

    print(
        f"axe {name}: {report.count('critical')} critical, {report.count('serious')} serious, "
        f"{report.count('moderate')} moderate, {report.count('minor')} minor"
    )
    assert not report.serious(), report.describe(report.serious())


def test_the_question_form_with_errors_has_no_serious_accessibility_violations(
    page, published_column, axe
):
    page.goto("/ask/")
    page.fill("#id_body", "Too short.")
    page.fill("#id_email", "not-an-address")
    page.get_by_role("button", name="Send my question").click()
    page.wait_for_selector("#form-errors-title")

    report = axe(page, label="ask-errors")

    print(f"ask-errors: {report.count('moderate', 'minor')} moderate or minor violations")
    assert not report.serious(), report.describe(report.serious())
