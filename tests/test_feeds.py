import xml.etree.ElementTree as ET

import pytest

from .factories import AnswerFactory, CategoryFactory, ColumnFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def columns():
    category = CategoryFactory(slug="interviews")
    public = ColumnFactory(published=True, category=category, title="Public column")
    AnswerFactory(column=public, headline="Send A Note", body="Write a **zephyr** note today.")
    AnswerFactory(column=public, body="Call the recruiter.", status="submitted")
    AnswerFactory(column=ColumnFactory(title="Draft column"), body="secret draft answer")
    ColumnFactory(published=True, title="Other topic")
    return public


def test_rss_parses_and_carries_the_full_column(client, columns):
    response = client.get("/feed/")
    assert response["Content-Type"].startswith("application/rss+xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own output
    items = root.findall("./channel/item")
    titles = [item.findtext("title") for item in items]
    assert "Public column" in titles and "Draft column" not in titles
    item = items[titles.index("Public column")]
    description = item.findtext("description")
    assert "<strong>zephyr</strong> note today" in description
    assert "Send A Note" in description
    assert columns.question.body in description
    assert "Call the recruiter." not in description  # not approved
    assert item.findtext("link").endswith(columns.get_absolute_url())


def test_atom_parses_and_carries_the_full_column(client, columns):
    root = ET.fromstring(client.get("/feed/atom/").content)  # noqa: S314 - our own output
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries].count("Draft column") == 0
    summaries = " ".join(e.findtext(f"{ATOM}summary") or "" for e in entries)
    assert "<strong>zephyr</strong> note today" in summaries


def test_category_feed_lists_only_its_category(client, columns):
    root = ET.fromstring(client.get("/topics/interviews/feed/").content)  # noqa: S314 - our own output
    assert [i.findtext("title") for i in root.findall("./channel/item")] == ["Public column"]
    assert client.get("/topics/nope/feed/").status_code == 404


def test_feed_query_count_does_not_grow_with_items(client, django_assert_num_queries):
    from qa.models import Publication

    Publication.current()
    for _ in range(5):
        AnswerFactory(column=ColumnFactory(published=True))
    with django_assert_num_queries(4 + 2):  # + the page cache's record, before and after
        client.get("/feed/")
