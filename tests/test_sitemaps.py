import xml.etree.ElementTree as ET

import pytest
from django.conf import settings

from .factories import AnswerFactory, CategoryFactory, ColumnFactory, ExpertFactory

pytestmark = pytest.mark.django_db

NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_sitemap_lists_published_columns_public_experts_and_topics_only(client):
    public = AnswerFactory(column=ColumnFactory(published=True)).column
    draft = AnswerFactory(column=ColumnFactory(category=CategoryFactory(slug="only-drafts"))).column
    hidden_expert = ExpertFactory(is_active=False)
    AnswerFactory(column=draft, expert=hidden_expert)
    member = ExpertFactory()

    root = ET.fromstring(client.get("/sitemap.xml").content)  # noqa: S314 - our own output
    paths = {loc.text.removeprefix(settings.SITE_URL) for loc in root.iter(f"{NS}loc")}
    assert public.get_absolute_url() in paths
    assert public.category.get_absolute_url() in paths
    assert member.get_absolute_url() in paths
    assert draft.get_absolute_url() not in paths
    assert draft.category.get_absolute_url() not in paths
    assert hidden_expert.get_absolute_url() not in paths
