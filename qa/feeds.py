"""RSS 2.0 and Atom feeds of published columns, site-wide and per topic, each item in full."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils.feedgenerator import Atom1Feed

from . import selectors
from .models import Category, Publication

FEED_LENGTH = 20


class LatestColumnsFeed(Feed):
    """The newest columns, each item carrying the full column with its answers."""

    def title(self):
        return Publication.current().name

    def description(self):
        return Publication.current().tagline

    def link(self):
        return "/"

    def feed_url(self):
        return "/feed/"

    def columns(self):
        return selectors.column_with_answers(selectors.published_columns())

    def items(self):
        return self.columns()[:FEED_LENGTH]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return render_to_string("qa/feed_item.html", {"column": item})

    def item_link(self, item):
        return item.get_absolute_url()

    def item_guid(self, item):
        return f"{settings.SITE_URL}/columns/{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.corrected_at or item.published_at

    def item_categories(self, item):
        return [item.category.name]

    def item_author_name(self, item):
        names = []
        for answer in item.published_answers:
            if answer.expert.name not in names:
                names.append(answer.expert.name)
        return ", ".join(names) or None


class LatestColumnsAtomFeed(LatestColumnsFeed):
    feed_type = Atom1Feed

    def feed_url(self):
        return "/feed/atom/"

    def subtitle(self):
        return self.description()


class CategoryFeed(LatestColumnsFeed):
    """One topic's newest columns."""

    def get_object(self, request, slug):
        return get_object_or_404(Category, slug=slug)

    def title(self, obj):
        return f"{obj.name} — {Publication.current().name}"

    def description(self, obj):
        return obj.description or f"Columns on {obj.name}."

    def link(self, obj):
        return obj.get_absolute_url()

    def feed_url(self, obj):
        return f"/topics/{obj.slug}/feed/"

    def items(self, obj):
        return self.columns().filter(category=obj)[:FEED_LENGTH]
