"""Reaching the content with the keyboard alone, and seeing where the focus is."""

import re

from playwright.sync_api import expect

from qa.models import Question

from ..factories import CategoryFactory

FOCUSED = """() => {
    const element = document.activeElement;
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    return {
        text: element.textContent.trim(), id: element.id,
        outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
        onScreen: box.left >= 0 && box.top >= 0 && box.width > 0 && box.height > 0,
    };
}"""


def test_skip_link_is_the_first_tab_stop_with_a_visible_focus(page, published_column):
    page.goto(published_column.get_absolute_url())

    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUSED)

    assert focused["text"] == "Skip to content"
    assert focused["outlineStyle"] != "none"
    assert focused["outlineWidth"] > 0
    assert focused["onScreen"]


def test_skip_link_moves_the_focus_to_the_main_content(page, published_column):
    page.goto(published_column.get_absolute_url())

    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{page.url.split('#')[0]}#main")
    assert page.evaluate(FOCUSED)["id"] == "main"
    # The next Tab stop is inside the content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('main') !== null")


def test_every_tab_stop_on_the_home_page_shows_its_focus(page, published_column):
    page.goto("/")

    stops = []
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement === document.body"):
            break  # past the last stop, focus leaves the page
        stops.append(page.evaluate(FOCUSED))

    assert stops[0]["text"] == "Skip to content"
    assert any(stop["text"] == published_column.title for stop in stops)
    hidden = [s for s in stops if s["outlineStyle"] == "none" or not s["onScreen"]]
    assert not hidden, hidden


def test_a_refused_question_puts_the_focus_on_the_error_summary(page, published_column):
    """The summary takes the focus; its first link leads to the field to fix."""
    page.goto("/ask/")
    page.fill("#id_body", "Too short.")
    page.get_by_role("button", name="Send my question").click()

    expect(page).to_have_title(re.compile(r"^Error: "))
    focused = page.evaluate(FOCUSED)
    assert (focused["id"], focused["text"]) == ("form-errors-title", "Please check your question")
    assert focused["outlineStyle"] != "none"
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["text"].startswith("Your question is too short")
    page.keyboard.press("Enter")
    assert page.evaluate(FOCUSED)["id"] == "id_body"
    described = page.get_attribute("#id_body", "aria-describedby").split()
    assert "id_body_error" in described
    expect(page.locator("#id_body_error")).to_contain_text("too short")


def tab_to(page, selector, limit=40):
    """Press Tab until the element matching ``selector`` has the focus; return its FOCUSED."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            focused = page.evaluate(FOCUSED)
            assert focused["outlineStyle"] != "none" and focused["outlineWidth"] > 0, focused
            assert focused["onScreen"], focused
            return focused
    raise AssertionError(f"Tab never reached {selector}")


def test_a_reader_asks_with_the_keyboard_alone(page, settings):
    """Tab, type, Space and Enter only; errors are announced and tied to their fields."""
    settings.ASK_MIN_SECONDS = 0
    CategoryFactory(name="Job Interviews", slug="job-interviews")
    page.goto("/ask/")

    tab_to(page, "#id_body")
    page.keyboard.type("Facebook follow-up?")
    tab_to(page, "#id_category")
    page.keyboard.press("ArrowDown")  # from "Choose a topic" to the first topic
    tab_to(page, "#id_signature")
    page.keyboard.type("D")
    tab_to(page, "#id_email")
    page.keyboard.type("dana@reader.example")
    page.keyboard.press("Enter")  # sends without consent, and with too short a question

    summary = page.locator("#form-errors")
    expect(summary).to_contain_text("Your question is too short")
    expect(summary).to_contain_text("Consent: tick the box")
    expect(summary.get_by_role("heading", name="Please check your question")).to_be_focused()
    assert page.evaluate(FOCUSED)["outlineStyle"] != "none"
    for field, message in [("body", "too short"), ("consent", "tick the box")]:
        widget = page.locator(f"#id_{field}")
        expect(widget).to_have_attribute("aria-invalid", "true")
        described = widget.get_attribute("aria-describedby").split()
        assert f"id_{field}_error" in described
        expect(page.locator(f"#id_{field}_error")).to_contain_text(message)
    expect(page.locator("#id_body")).to_have_value("Facebook follow-up?")
    expect(page.locator("#id_category")).to_have_value(re.compile(r"\d+"))

    # The summary's first link takes the focus to the question.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Your question is too short")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#id_body")).to_be_focused()
    page.keyboard.press("End")
    page.keyboard.type(" Should I follow up with the interviewer over Facebook, or is it too much?")
    tab_to(page, "#id_consent")
    page.keyboard.press("Space")
    expect(page.locator("#id_consent")).to_be_checked()
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you: we have your question")
    question = Question.objects.get()
    assert question.body.startswith("Facebook follow-up? Should I follow up")
    assert question.category.slug == "job-interviews"
    assert question.signature == "D"
    assert not question.spam_reason
