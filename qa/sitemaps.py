"""
The sitemap: home, the archive and the panel, then published columns, public profiles, and
topics with published columns; each entry with its ``lastmod``. Locations are on SITE_URL,
like the canonical links, robots.txt and the feeds, whatever address the request came in on.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import DateTimeField, Max, OuterRef, Subquery
from django.urls import reverse

from . import selectors
from .models import Column, Expert


class SiteSitemap(Sitemap):
    """Locations on SITE_URL's scheme and host."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class PageSitemap(SiteSitemap):
    """Home, the archive and the panel: they change when a column or a profile does."""

    changefreq = "daily"
    priority = 1.0

    def items(self):
        return ["qa:home", "qa:archive", "qa:experts"]

    def location(self, item):
        return reverse(item)

    def lastmod(self, item):
        if item == "qa:experts":
            return Expert.objects.published().aggregate(changed=Max("updated_at"))["changed"]
        return selectors.published_stamp()[0]


class ColumnSitemap(SiteSitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        return selectors.published_columns()

    def lastmod(self, item):
        return item.updated_at


class ExpertSitemap(SiteSitemap):
    changefreq = "monthly"
    priority = 0.5

    def items(self):
        return Expert.objects.published().order_by("name")

    def lastmod(self, item):
        return item.updated_at


class CategorySitemap(SiteSitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        newest = (
            Column.objects.published()
            .filter(category=OuterRef("pk"))
            .order_by("-updated_at")
            .values("updated_at")[:1]
        )
        return selectors.categories_with_columns().annotate(
            changed=Subquery(newest, output_field=DateTimeField())
        )

    def lastmod(self, item):
        return item.changed


SITEMAPS = {
    "pages": PageSitemap,
    "columns": ColumnSitemap,
    "experts": ExpertSitemap,
    "topics": CategorySitemap,
}
