"""
RSS 2.0 and Atom feeds of published columns, site-wide and per topic, each item in full.

Every address in a feed is on SITE_URL, whatever the request came in on, like the pages'
canonical links. An item's id (RSS ``guid``, Atom ``id``) is a ``tag:`` URI (RFC 4151),
``tag:<SITE_URL's host>,<the day the column was created>:column:<its id>``: it never changes
when a column's title, slug or publication date is corrected, so feed readers never show a
column twice. It is not an address; the item's link is.
"""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape

from . import pagecache, selectors
from .models import Category, Publication

FEED_LENGTH = 20

# Characters XML 1.0 cannot carry at all (Django refuses to write them, which was a 500).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value):
    """``value`` without the characters XML cannot hold; lists and tuples element by element."""
    if isinstance(value, str):
        return NOT_XML.sub("", value)
    if isinstance(value, list | tuple):
        return type(value)(xml_text(part) for part in value)
    return value


class XMLSafe:
    """A feed type whose every text, feed-wide and per item, is cleaned for XML first."""

    def __init__(self, *args, **kwargs):
        super().__init__(*map(xml_text, args), **{k: xml_text(v) for k, v in kwargs.items()})

    def add_item(self, *args, **kwargs):
        super().add_item(*map(xml_text, args), **{k: xml_text(v) for k, v in kwargs.items()})


class RSSFeed(XMLSafe, Rss201rev2Feed):
    pass


class AtomFeed(XMLSafe, Atom1Feed):
    """Atom with one ``<author>`` per expert (Django's writes a single one)."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for author in item.get("authors", ()):
            handler.startElement("author", {})
            handler.addQuickElement("name", xml_text(author["name"]))
            handler.addQuickElement("uri", author["uri"])
            handler.endElement("author")


class RSSWithCreators(RSSFeed):
    """RSS with one Dublin Core ``<dc:creator>`` per expert (RSS's own ``<author>`` is an email)."""

    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:dc": "http://purl.org/dc/elements/1.1/"}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for author in item.get("authors", ()):
            handler.addQuickElement("dc:creator", xml_text(author["name"]))


def absolute(path):
    """``path`` on SITE_URL: Django leaves an absolute address as it is."""
    return f"{settings.SITE_URL}{path}"


def item_id(column):
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"tag:{host},{column.created_at:%Y-%m-%d}:column:{column.pk}"


class LatestColumnsFeed(Feed):
    """The newest columns, each item carrying the full column with its answers."""

    feed_type = RSSWithCreators

    def title(self):
        return Publication.current().name

    # A channel's description is HTML to many feed readers, like an item's: escape the text.
    def description(self):
        return escape(Publication.current().tagline)

    def link(self):
        return absolute("/")

    def feed_url(self):
        return absolute("/feed/")

    def get_feed(self, obj, request):
        # For the page cache: the feed shows its items' columns, the newest published (``lists``).
        # One instance serves every request, on any thread: the columns come with the items.
        feed = super().get_feed(obj, request)
        pagecache.shows(request, columns=[item["column"] for item in feed.items], lists=True)
        return feed

    def columns(self):
        return selectors.column_with_answers(selectors.published_columns())

    def items(self):
        return self.columns()[:FEED_LENGTH]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return render_to_string("qa/feed_item.html", {"column": item})

    def item_link(self, item):
        return absolute(item.get_absolute_url())

    def item_guid(self, item):
        return item_id(item)

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.corrected_at or item.published_at

    def item_categories(self, item):
        return [item.category.name]

    def item_extra_kwargs(self, item):
        authors = []
        for answer in item.published_answers:
            expert = answer.expert
            if all(author["name"] != expert.name for author in authors):
                authors.append({"name": expert.name, "uri": absolute(expert.get_absolute_url())})
        return {"authors": authors, "column": item}


class LatestColumnsAtomFeed(LatestColumnsFeed):
    feed_type = AtomFeed

    def feed_url(self):
        return absolute("/feed/atom/")

    def subtitle(self):
        return self.description()


class CategoryFeed(LatestColumnsFeed):
    """One topic's newest columns."""

    def get_object(self, request, slug):
        return get_object_or_404(Category, slug=slug)

    def title(self, obj):
        return f"{obj.name} — {Publication.current().name}"

    def description(self, obj):
        return escape(obj.description or f"Columns on {obj.name}.")

    def link(self, obj):
        return absolute(obj.get_absolute_url())

    def feed_url(self, obj):
        return absolute(f"/topics/{obj.slug}/feed/")

    def items(self, obj):
        return self.columns().filter(category=obj)[:FEED_LENGTH]
