"""Reaching the content with the keyboard alone, and seeing where the focus is."""

import re

from playwright.sync_api import expect

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
