"""axe-core on every public page that exists: no serious or critical violations."""

import pytest

PAGES = {
    "home": lambda column: "/",
    "column": lambda column: column.get_absolute_url(),
    "expert-profile": lambda column: column.answers.order_by("position")[
        0
    ].expert.get_absolute_url(),
    "topic": lambda column: column.category.get_absolute_url(),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_accessibility_violations(page, published_column, axe, name):
    page.goto(PAGES[name](published_column))

    report = axe(page, label=name)

    print(f"{name}: {report.count('moderate', 'minor')} moderate or minor violations")
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
