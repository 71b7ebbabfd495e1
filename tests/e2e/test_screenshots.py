"""Full-page screenshots of every public page, at desktop and phone widths, to look at."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ..factories import AnswerFactory, ColumnFactory, QuestionFactory, monday
from .test_accessibility import PAGES, open_page


@pytest.mark.parametrize("name", list(PAGES))
def test_screenshot_public_page(page, published_column, screenshot, name):
    response = open_page(page, published_column, name)

    assert response.ok, response.status
    desktop, phone = screenshot(page, name)
    assert desktop.stat().st_size > 0
    assert phone.stat().st_size > 0


@pytest.fixture
def week_in_progress(expert_a, expert_b):
    """A column in review: Alice's answer approved and her draft elsewhere, Bob's submitted."""
    column = ColumnFactory(
        title="How do I ask for a raise after a year in the job?",
        dek="Timing, evidence and the number to name.",
        status="review",
        week=monday(1),
        answer_deadline=timezone.now() + datetime.timedelta(days=2),
    )
    AnswerFactory(
        column=column,
        expert=expert_a.expert,
        status="draft",
        headline="Bring Evidence, Not Feelings",
        body="List **three wins** with numbers.\n\n- revenue\n- time saved\n\n"
        "See [the survey](https://example.com/survey).",
    )
    AnswerFactory(
        column=column,
        expert=expert_b.expert,
        status="submitted",
        headline="Name A Number First",
        body="Research the range, then **anchor high**.",
    )
    QuestionFactory.create_batch(3)
    return column


def test_screenshot_the_admin_as_an_expert(expert_page, week_in_progress, screenshot):
    page = expert_page
    page.goto("/admin/")
    expect(page.locator(".expert-landing tbody tr")).to_have_count(1)
    screenshot(page, "admin-expert-invitations")

    page.locator(".expert-landing").get_by_role("link", name=week_in_progress.title).click()
    expect(page.locator(".markdownx-preview strong")).to_have_text("three wins")
    screenshot(page, "admin-expert-answer")


def test_screenshot_the_admin_as_an_editor(editor_page, week_in_progress, screenshot):
    page = editor_page
    column = week_in_progress
    for name, path in [
        ("admin-editor-queue", "/admin/qa/question/"),
        ("admin-editor-column", f"/admin/qa/column/{column.pk}/change/"),
        ("admin-editor-calendar", "/admin/qa/column/calendar/"),
        ("admin-editor-schedule", f"/admin/qa/column/{column.pk}/schedule/"),
    ]:
        response = page.goto(path)
        assert response.ok, (path, response.status)
        screenshot(page, name)
