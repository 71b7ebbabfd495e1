"""Reaching the content with the keyboard alone, and seeing where the focus is."""

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
