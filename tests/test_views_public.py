"""The public site: the column page against the source piece, visibility, caching, JSON-LD."""

import datetime
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from qa import selectors
from qa.catalogue import columns_import_file
from qa.demo import SOURCE_COLUMN
from qa.models import Answer, Column, Publication
from qa.pagecache import local_pages

from .factories import (
    AnswerFactory,
    CategoryFactory,
    ColumnFactory,
    ExpertFactory,
    QuestionFactory,
)

pytestmark = pytest.mark.django_db


def clear_page_cache():
    """No page stored anywhere: neither in the shared cache nor in this process's copy."""
    cache.clear()
    local_pages.clear()


# The published piece as scraped, kept verbatim beside the tests.
REFERENCE = Path(__file__).resolve().parent / "reference" / "source-column.txt"


class ArticleText(HTMLParser):
    """The text inside <article>, minus the byline and date lines the reference lacks."""

    SKIP = {"byline", "meta"}
    VOID = {"img", "source", "br", "hr", "meta", "link", "input"}

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.skip_depth = 0
        self.parts = []
        self.tags = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        classes = set((dict(attrs).get("class") or "").split())
        if tag == "article" and self.depth == 0:
            self.depth = 1
        elif self.depth:
            self.depth += 1
            if self.skip_depth or classes & self.SKIP:
                self.skip_depth += 1
            if not self.skip_depth:
                self.tags.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID or not self.depth:
            return
        self.depth -= 1
        if self.skip_depth:
            self.skip_depth -= 1

    def handle_data(self, text):
        if self.depth and not self.skip_depth:
            self.parts.append(text)

    def text(self):
        return normalise(" ".join(self.parts))


def normalise(text):
    """One space between words; typographic quotes as plain ones (Markdown's smartypants)."""
    text = text.translate({0x201C: '"', 0x201D: '"', 0x2018: "'", 0x2019: "'"})
    return re.sub(r"\s+", " ", text).strip()


def reference_text():
    lines = [line.strip() for line in REFERENCE.read_text(encoding="utf-8").splitlines()]
    title = lines[2]
    kept, seen_title = [], False
    for line in lines:
        if line == title:
            if seen_title:
                continue  # the scraped page repeats its title; it is not content
            seen_title = True
        kept.append(line)
    return normalise(" ".join(kept))


@pytest.fixture
def source_column(db):
    (column,) = columns_import_file(SOURCE_COLUMN)
    return column


def test_source_piece_reads_like_the_reference_part_for_part(client, source_column):
    """Every part of the reference, word for word and in order, and nothing else in the text."""
    response = client.get(source_column.get_absolute_url())
    assert response.status_code == 200
    parser = ArticleText()
    parser.feed(response.text)
    assert parser.text() == reference_text()


def test_source_piece_uses_the_semantic_structure_in_order(client, source_column):
    parser = ArticleText()
    parser.feed(client.get(source_column.get_absolute_url()).text)
    outline = [t for t in parser.tags if t in {"header", "h1", "blockquote", "section", "h2"}]
    assert outline == ["header", "h1", "blockquote"] + ["section", "h2"] * 4


def test_column_page_bylines_link_profile_and_company(client):
    expert = ExpertFactory(name="Cheryl Simpson", company="ERR", company_url="https://err.test/")
    answer = AnswerFactory(column=ColumnFactory(published=True), expert=expert)
    html = client.get(answer.column.get_absolute_url()).text
    assert f'href="{expert.get_absolute_url()}">Cheryl Simpson</a>' in html
    assert 'href="https://err.test/" rel="nofollow noopener">ERR</a>' in html
    assert 'class="headshot headshot-64 initials" aria-hidden="true">CS<' in html


def test_column_page_shows_featured_cta_and_related_from_the_same_category(client):
    category = CategoryFactory()
    column = ColumnFactory(published=True, category=category, is_featured=True)
    siblings = [ColumnFactory(published=True, category=category) for _ in range(4)]
    ColumnFactory(category=category, title="Unpublished sibling")
    ColumnFactory(published=True, title="Other topic")
    html = client.get(column.get_absolute_url()).text
    article, after = html.split("</article>", 1)
    assert 'class="featured-label">Featured<' in article
    assert 'href="/ask/"' in after
    related = re.findall(r'class="card-title"><a href="([^"]+)"', after)
    assert len(related) == 3
    assert set(related) <= {s.get_absolute_url() for s in siblings}
    assert "Unpublished sibling" not in html and "Other topic" not in html


def test_corrected_column_says_updated(client):
    column = ColumnFactory(published=True, corrected_at=timezone.now())
    assert "Updated <time" in client.get(column.get_absolute_url()).text


@pytest.mark.parametrize("count", [3, 30])
def test_column_page_query_count_does_not_grow_with_answers(
    client, django_assert_num_queries, count
):
    """
    A render: the column with its stamp, answers with experts, related columns, the
    publication; and the page cache's record of changes before and after. Nothing is written.
    Cached: the record of changes only (read at most every PAGE_CACHE_POLL_SECONDS; the tests
    read it every time).
    """
    Publication.current()
    column = ColumnFactory(published=True)
    for _ in range(count):
        AnswerFactory(column=column)
    with django_assert_num_queries(6):
        assert client.get(column.get_absolute_url()).status_code == 200
    clear_page_cache()
    with django_assert_num_queries(6):
        assert client.get(column.get_absolute_url()).status_code == 200
    with django_assert_num_queries(1):
        assert client.get(column.get_absolute_url()).status_code == 200


def test_column_page_sends_validators_and_answers_304(client):
    column = AnswerFactory(column=ColumnFactory(published=True)).column
    response = client.get(column.get_absolute_url())
    assert "public" in response["Cache-Control"] and "max-age" in response["Cache-Control"]
    etag, last_modified = response["ETag"], response["Last-Modified"]
    assert client.get(column.get_absolute_url(), headers={"if-none-match": etag}).status_code == 304
    assert (
        client.get(
            column.get_absolute_url(), headers={"if-modified-since": last_modified}
        ).status_code
        == 304
    )


def test_a_change_through_the_product_is_served_at_once(client, editor):
    """The services say what they change; the next request gets the new page."""
    from qa.services import answer_edit, column_correct, expert_profile_changed

    answer = AnswerFactory(column=ColumnFactory(published=True), body="First version.")
    url = answer.column.get_absolute_url()
    etag = client.get(url)["ETag"]
    assert "First version." in client.get(url).text

    answer_edit(answer=answer, changes={"body": "Second version."}, by=editor)
    response = client.get(url, headers={"if-none-match": etag})
    assert response.status_code == 200 and "Second version." in response.text

    expert = answer.expert
    expert.name = "Renamed Expert"
    expert.save()
    expert_profile_changed(expert)
    assert "Renamed Expert" in client.get(url).text

    column_correct(column=answer.column, changes={"title": "A corrected title"}, by=editor)
    assert "A corrected title" in client.get(url).text


def test_share_image_is_drawn_by_the_worker_and_only_linked_by_the_page(
    client, settings, editor, after_commit
):
    from PIL import Image

    from qa.services import column_correct, column_publish

    column = ColumnFactory(status=Column.Status.REVIEW, title="First title")
    AnswerFactory(column=column)
    with after_commit():
        column_publish(column=column, by=editor)
    html = client.get(column.get_absolute_url()).text
    first = re.search(r'property="og:image" content="[^"]*(/media/share/[^"]+)"', html).group(1)
    with Image.open(settings.MEDIA_ROOT / first.removeprefix("/media/")) as image:
        assert image.size == (1200, 630)
    with after_commit():
        column_correct(column=column, changes={"title": "Second title"}, by=editor)
    html = client.get(column.get_absolute_url()).text
    second = re.search(r'property="og:image" content="[^"]*(/media/share/[^"]+)"', html).group(1)
    assert second != first
    assert (settings.MEDIA_ROOT / second.removeprefix("/media/")).exists()
    assert not (settings.MEDIA_ROOT / first.removeprefix("/media/")).exists()
    column.refresh_from_db()
    assert column.share_image.name == second.removeprefix("/media/")


def jsonld_of(html):
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_jsonld_describes_article_question_answers_and_people(client, source_column):
    nodes = {
        node["@type"]: node
        for node in jsonld_of(client.get(source_column.get_absolute_url()).text)["@graph"]
    }
    assert nodes["Article"]["headline"] == source_column.title
    question = nodes["Question"]
    assert nodes["QAPage"]["mainEntity"] == {"@id": question["@id"]}
    assert question["text"] == source_column.question.body
    assert [a["@type"] for a in question["suggestedAnswer"]] == ["Answer"] * 4
    debra = question["suggestedAnswer"][0]["author"]
    assert debra["name"] == "Debra Wheatman"
    assert debra["affiliation"] == {"@type": "Organization", "name": "Careers Done Write"}


def test_jsonld_survives_a_title_with_a_closing_script_tag(client):
    title = "Is </script><script>alert(1)</script> & <!-- ok?"
    answer = AnswerFactory(column=ColumnFactory(published=True, title=title))
    html = client.get(answer.column.get_absolute_url()).text
    assert "<script>alert(1)" not in html
    (article,) = [n for n in jsonld_of(html)["@graph"] if n["@type"] == "Article"]
    assert article["headline"] == title


def test_every_public_page_has_title_description_canonical_and_social_tags(client):
    answer = AnswerFactory(column=ColumnFactory(published=True))
    urls = [
        "/",
        "/columns/",
        answer.column.get_absolute_url(),
        answer.column.category.get_absolute_url(),
        "/experts/",
        answer.expert.get_absolute_url(),
        "/search/?q=note",
    ]
    for url in urls:
        html = client.get(url).text
        for needle in (
            "<title>",
            '<meta name="description" content="',
            '<link rel="canonical" href="http',
            '<meta property="og:title"',
            '<meta name="twitter:card"',
        ):
            assert needle in html, (url, needle)


def test_canonical_of_an_imported_column_is_its_source(client):
    column = ColumnFactory(published=True, source_url="https://example.org/original")
    assert '<link rel="canonical" href="https://example.org/original">' in (
        client.get(column.get_absolute_url()).text
    )


class TestDraftsHiddenEverywhere:
    @pytest.fixture
    def draft(self):
        category = CategoryFactory(slug="drafty")
        expert = ExpertFactory(is_active=False, name="Hidden Person")
        column = ColumnFactory(category=category, title="Secret zephyr draft", status="review")
        AnswerFactory(column=column, expert=expert, body="zephyr")
        ColumnFactory(published=True, category=category, title="Public one")
        return column

    def test_draft_page_is_404(self, client, draft):
        assert client.get(draft.get_absolute_url()).status_code == 404

    def test_scheduled_in_the_future_is_404(self, client):
        column = ColumnFactory(
            status=Column.Status.PUBLISHED,
            published_at=timezone.now() + timezone.timedelta(days=1),
        )
        assert client.get(column.get_absolute_url()).status_code == 404

    @pytest.mark.parametrize(
        "url", ["/", "/columns/", "/topics/drafty/", "/search/?q=zephyr", "/feed/", "/sitemap.xml"]
    )
    def test_absent_from_lists_feeds_search_and_sitemap(self, client, draft, url):
        response = client.get(url)
        assert response.status_code == 200
        assert b"Secret zephyr draft" not in response.content
        assert draft.slug.encode() not in response.content

    def test_contributor_of_drafts_only_has_no_profile(self, client, draft):
        expert = draft.answers.get().expert
        assert client.get(expert.get_absolute_url()).status_code == 404
        assert b"Hidden Person" not in client.get("/experts/").content


class TestPanel:
    def test_active_members_first_then_past_contributors_with_counts(self, client):
        past = ExpertFactory(name="Aaron Past", is_active=False)
        member = ExpertFactory(name="Zoe Member")
        ExpertFactory(name="Nobody Inactive", is_active=False)
        AnswerFactory(column=ColumnFactory(published=True), expert=past)
        AnswerFactory(column=ColumnFactory(published=True), expert=member)
        AnswerFactory(column=ColumnFactory(), expert=member)
        html = client.get("/experts/").text
        assert html.index("Zoe Member") < html.index("Past contributors") < html.index("Aaron")
        assert "Nobody Inactive" not in html
        assert "1 published answer<" in html

    def test_profile_lists_only_published_answers(self, client):
        expert = ExpertFactory(bio="Twenty years in recruiting.", company_url="https://x.test/")
        shown = AnswerFactory(column=ColumnFactory(published=True, title="Shown"), expert=expert)
        AnswerFactory(column=ColumnFactory(title="Hidden draft"), expert=expert)
        AnswerFactory(
            column=ColumnFactory(published=True, title="Rejected one"),
            expert=expert,
            status=Answer.Status.REJECTED,
        )
        html = client.get(expert.get_absolute_url()).text
        assert "Twenty years in recruiting." in html
        assert 'href="https://x.test/"' in html
        assert f"{shown.column.get_absolute_url()}#answer-{shown.pk}" in html
        assert "Hidden draft" not in html and "Rejected one" not in html

    def test_panel_query_count(self, client, django_assert_num_queries):
        Publication.current()
        for _ in range(5):
            AnswerFactory(column=ColumnFactory(published=True))
        with django_assert_num_queries(2 + 2):  # + the page cache's record, before and after
            client.get("/experts/")


def test_home_shows_latest_recent_featured_topics_and_cta(client):
    old_featured = ColumnFactory(
        published=True,
        is_featured=True,
        title="Old featured",
        published_at=timezone.now() - timezone.timedelta(days=400),
    )
    recent = [ColumnFactory(published=True, title=f"Recent {n}") for n in range(3)]
    latest = ColumnFactory(published=True, title="The latest", published_at=timezone.now())
    html = client.get("/").text
    assert html.index("The latest") < html.index("Recent columns")
    assert 'id="featured-title"' in html and "Old featured" in html
    assert old_featured.category.name in html and recent[0].title in html
    assert 'href="/ask/"' in html
    assert latest.get_absolute_url() in html


def test_archive_paginates_newest_first(client):
    columns = [
        ColumnFactory(published=True, published_at=timezone.now() - timezone.timedelta(days=n))
        for n in range(14)
    ]
    first = client.get("/columns/").text
    assert first.index(columns[0].title + "<") < first.index(columns[1].title + "<")
    assert columns[13].title + "<" not in first
    assert columns[13].title + "<" in client.get("/columns/?page=2").text
    assert client.get("/columns/?page=999").status_code == 200


def test_list_pages_answer_304(client):
    ColumnFactory(published=True)
    for url in ("/", "/columns/", "/experts/"):
        etag = client.get(url)["ETag"]
        assert client.get(url, headers={"if-none-match": etag}).status_code == 304, url


def test_search_page_highlights_and_survives_odd_queries(client, after_commit):
    with after_commit():
        AnswerFactory(column=ColumnFactory(published=True), body="Send a zephyrine note.")
    html = client.get("/search/", {"q": "zephyrine"}).text
    assert "<mark>zephyrine</mark>" in html
    for query in ["", "   ", "<script>", "a" * 50_000, "\x00", "' OR 1=1 --", "!!! & | :*"]:
        response = client.get("/search/", {"q": query})
        assert response.status_code == 200
        assert "<script>" not in response.text.split("<main", 1)[1]


def test_robots_points_to_the_sitemap(client, settings):
    text = client.get(reverse("qa:robots")).text
    assert f"Sitemap: {settings.SITE_URL}/sitemap.xml" in text


def test_expert_profile_pages_its_answers_in_a_fixed_number_of_queries(
    client, django_assert_num_queries
):
    """
    The expert, the stamp and count, the publication, one page (+ the page cache's record of
    changes, before and after): the same at 5 and at 45.
    """
    expert = ExpertFactory()
    for _ in range(5):
        AnswerFactory(expert=expert, column=ColumnFactory(published=True))
    url = expert.get_absolute_url()
    client.get(url)
    clear_page_cache()
    with django_assert_num_queries(4 + 2):
        assert client.get(url).status_code == 200
    for _ in range(40):
        AnswerFactory(expert=expert, column=ColumnFactory(published=True))
    clear_page_cache()
    with django_assert_num_queries(4 + 2):
        first = client.get(url).text
    assert first.count('<li>\n      <a href="/columns/') == 20 and "Page 1 of 3" in first
    last = client.get(url, {"page": 3}).text
    assert last.count('<li>\n      <a href="/columns/') == 5


def test_archive_reads_deep_pages_from_the_far_end_with_the_same_columns(client, monkeypatch):
    """Every page holds what a plain OFFSET would give; the last pages are read in reverse."""
    from django.core.paginator import Paginator
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qa.views import public

    monkeypatch.setattr(public, "PER_PAGE", 3)
    for day in range(8):
        ColumnFactory(published=True, published_at=timezone.now() - datetime.timedelta(days=day))
    plain = Paginator(selectors.published_columns(), 3)
    for number in plain.page_range:
        expected = [column.title for column in plain.page(number)]
        with CaptureQueriesContext(connection) as queries:
            html = client.get("/columns/", {"page": number}).text
        shown = [title for title in expected if title in html]
        assert shown == expected, number
        listed = " ".join(q["sql"] for q in queries.captured_queries if "LIMIT" in q["sql"])
        assert ('"published_at" ASC' in listed) == (number == plain.num_pages), number


def test_search_counts_no_further_than_the_pages_it_will_show(client, monkeypatch, after_commit):
    from qa.views import public

    monkeypatch.setattr(public, "SEARCH_MAX_PAGES", 1)
    with after_commit():
        for _ in range(12):
            AnswerFactory(column=ColumnFactory(published=True), body="A zephyrine answer.")
    html = client.get("/search/", {"q": "zephyrine"}).text
    assert "More than 10 columns found; the first 10 are listed." in html
    assert html.count('class="card result"') == 10
    assert 'rel="next"' not in html
    with after_commit():
        for _ in range(2):
            AnswerFactory(column=ColumnFactory(published=True), body="A quokka answer.")
    assert "2 columns found." in client.get("/search/", {"q": "quokka"}).text


@pytest.mark.django_db
class TestColumnVisibility:
    def test_published_column_is_served(self, client):
        answer = AnswerFactory(column=ColumnFactory(published=True), body="Unique **words**")
        response = client.get(answer.column.get_absolute_url())
        assert response.status_code == 200
        assert b"<strong>words</strong>" in response.content

    def test_draft_column_is_404_for_anonymous(self, client):
        column = ColumnFactory()
        assert client.get(column.get_absolute_url()).status_code == 404

    def test_home_lists_only_published(self, client):
        public = ColumnFactory(published=True, title="Public one")
        ColumnFactory(title="Secret draft")
        response = client.get(reverse("qa:home"))
        assert public.title in response.text
        assert "Secret draft" not in response.text


@pytest.mark.django_db
def test_a_favicon_and_an_apple_touch_icon(client):
    page = client.get("/ask/").text
    assert 'rel="icon" href="/static/favicon.svg"' in page
    assert 'rel="apple-touch-icon" href="/static/apple-touch-icon.png"' in page
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response.url == "/static/favicon.ico"


@pytest.mark.django_db
def test_quotes_and_dashes_are_as_typed_across_the_whole_page(client):
    """The answers are not given "smart" quotes while the title, dek and letter keep plain ones."""
    question = QuestionFactory(body='He said "soon" -- it\'s been a week...', signature="D")
    column = ColumnFactory(
        question=question,
        category=question.category,
        published=True,
        title='Is "Soon" A Yes?',
        dek="It's been a week -- what now?",
        intro="Each week we ask the panel.",
    )
    AnswerFactory(column=column, body='"Wait," she says -- it\'s early... "Then call."')
    page = client.get(column.get_absolute_url()).content.decode()
    article = page.split('<article class="column"')[1].split("</article>")[0]
    for curly in "“”‘’–—…":
        assert curly not in article, curly
    assert "&quot;Wait,&quot; she says -- it&#x27;s early..." in page or '"Wait," she says' in page
