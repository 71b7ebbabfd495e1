"""The sitemap: published columns, public profiles, and topics with published columns."""

from django.contrib.sitemaps import Sitemap

from . import selectors
from .models import Expert


class ColumnSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        return selectors.published_columns()

    def lastmod(self, item):
        return item.updated_at


class ExpertSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.5

    def items(self):
        return Expert.objects.published().order_by("name")

    def lastmod(self, item):
        return item.updated_at


class CategorySitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self):
        return selectors.categories_with_columns()


SITEMAPS = {"columns": ColumnSitemap, "experts": ExpertSitemap, "topics": CategorySitemap}
