"""An expert in the admin, signed in through its login form, sees only their own answers."""

import re

import pytest
from playwright.sync_api import expect

from ..factories import AnswerFactory, ColumnFactory


@pytest.fixture
def invitations(expert_a, expert_b):
    column = ColumnFactory(title="How do I ask for a raise?", status="collecting")
    own = AnswerFactory(
        column=column,
        expert=expert_a.expert,
        status="draft",
        headline="Alice's own headline",
        body="Alice's draft.",
    )
    other = AnswerFactory(
        column=column,
        expert=expert_b.expert,
        status="submitted",
        headline="Bob's private headline",
        body="Bob's submitted answer, not for Alice's eyes.",
    )
    return own, other


def test_expert_sees_their_own_answer(expert_page, invitations):
    own, _other = invitations
    page = expert_page

    page.goto(f"/admin/qa/answer/{own.pk}/change/")

    expect(page.get_by_label("Headline")).to_have_value("Alice's own headline")


def test_expert_list_holds_only_their_own_answers(expert_page, invitations):
    page = expert_page

    page.goto("/admin/qa/answer/")

    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("body")).not_to_contain_text("Bob")


@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_expert_cannot_reach_another_experts_answer_by_editing_the_url(
    expert_page, invitations, browser_errors, view
):
    _own, other = invitations
    page = expert_page
    browser_errors.allow(r"status of (403|404)")

    response = page.goto(f"/admin/qa/answer/{other.pk}/{view}/")

    body = page.locator("body")
    expect(body).not_to_contain_text("Bob's private headline")
    expect(body).not_to_contain_text("not for Alice's eyes")
    # Either refused outright or sent back to the admin's index with a notice.
    assert response.status in {403, 404} or re.search(r"/admin/$", page.url), page.url


def test_signing_in_with_a_wrong_password_keeps_the_username(page, expert_a):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()

    expect(page.locator(".errornote")).to_be_visible()
    expect(page.get_by_label("Username")).to_have_value("alice")
