"""An anonymous reader on the public site: the column as the source piece lays it out."""

from playwright.sync_api import expect

from .conftest import PHONE

IN_DOCUMENT_ORDER = """elements => elements.every((element, i) =>
    i === 0 || Boolean(elements[i - 1].compareDocumentPosition(element)
                       & Node.DOCUMENT_POSITION_FOLLOWING))"""


def test_column_page_shows_the_parts_in_the_source_pieces_order(page, published_column):
    column = published_column
    page.goto(column.get_absolute_url())

    article = page.get_by_role("article")
    question = article.locator("blockquote")
    parts = [
        article.get_by_role("link", name="Job Interviews"),
        article.get_by_role("heading", level=1, name=column.title),
        article.get_by_text(column.dek),
        article.get_by_text("Each week, we choose one question from our readers"),
        question,
        article.get_by_role("heading", level=2, name="Send A Thank-You Note ASAP"),
        article.get_by_role("link", name="Debra Wheatman"),
        article.get_by_text("by email the same day"),
        article.get_by_role("heading", level=2, name="Keep Facebook Personal"),
        article.get_by_role("link", name="Heather Huhman"),
        article.get_by_text("Featured", exact=True),
    ]
    for part in parts:
        expect(part).to_be_visible()
    expect(question).to_contain_text("Should I follow up on Facebook?")
    expect(question).to_contain_text("- D")
    expect(question).not_to_contain_text(column.question.name)
    expect(question).not_to_contain_text(column.question.email)

    handles = [part.element_handle() for part in parts]
    assert page.evaluate(IN_DOCUMENT_ORDER, handles)
    # The Markdown arrived as HTML: bold text, a list, a link.
    expect(article.locator("strong", has_text="thank-you note")).to_be_visible()
    expect(article.locator("li", has_text="be specific")).to_be_visible()
    expect(article.get_by_role("link", name="LinkedIn")).to_have_attribute(
        "href", "https://www.linkedin.com/"
    )


def test_column_page_has_no_horizontal_scroll_on_a_narrow_phone(page, published_column):
    page.set_viewport_size(PHONE)
    page.goto(published_column.get_absolute_url())

    widths = page.evaluate(
        "() => ({scroll: document.scrollingElement.scrollWidth,"
        " client: document.scrollingElement.clientWidth})"
    )
    assert widths["client"] == PHONE["width"]
    assert widths["scroll"] <= widths["client"], widths


def test_the_experts_name_leads_to_their_profile(page, published_column):
    column = published_column
    page.goto(column.get_absolute_url())

    page.locator(".byline").get_by_role("link", name="Debra Wheatman").click()

    expect(page).to_have_url(f"{page.url.split('/experts/')[0]}/experts/debra/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Debra Wheatman")
    # The profile lists the expert's answer by its headline, linked to its place in the column.
    answer = column.answers.get(expert__slug="debra")
    listed = page.locator(".answer-list li", has_text=column.title)
    expect(listed.get_by_role("link", name=answer.headline)).to_have_attribute(
        "href", f"{column.get_absolute_url()}#answer-{answer.pk}"
    )
