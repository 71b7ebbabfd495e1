"""The sitemap read by lxml: every page kind, lastmod on every entry, locations on SITE_URL."""

import datetime

import pytest
from lxml import etree

from .factories import AnswerFactory, CategoryFactory, ColumnFactory, ExpertFactory

pytestmark = pytest.mark.django_db

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
SITE = "https://panel.example.com"


@pytest.fixture
def site(settings):
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["*"]
    column = AnswerFactory(column=ColumnFactory(published=True, category=CategoryFactory())).column
    ExpertFactory()
    return column


def entries(client, **headers):
    response = client.get("/sitemap.xml", **headers)
    root = etree.fromstring(response.content)
    return {
        url.findtext("s:loc", namespaces=NS): url.findtext("s:lastmod", namespaces=NS)
        for url in root.findall("s:url", NS)
    }


def test_home_the_archive_and_the_panel_are_listed(client, site):
    locations = entries(client)
    for path in ("/", "/columns/", "/experts/", site.get_absolute_url()):
        assert SITE + path in locations
    assert SITE + site.category.get_absolute_url() in locations


def test_every_entry_has_a_lastmod(client, site):
    found = entries(client)
    assert len(found) >= 6
    for location, lastmod in found.items():
        assert lastmod, location
        datetime.date.fromisoformat(lastmod)


def test_a_topics_lastmod_is_its_newest_column(client, site):
    later = ColumnFactory(published=True, category=site.category)
    later.refresh_from_db()
    found = entries(client)
    lastmod = datetime.date.fromisoformat(found[SITE + site.category.get_absolute_url()])
    assert lastmod == later.updated_at.date()  # Django's sitemap writes the day


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "other.example"])
def test_locations_follow_site_url_not_the_request(client, site, host):
    assert all(loc.startswith(SITE + "/") for loc in entries(client, HTTP_HOST=host))


def test_robots_points_at_the_sitemap_on_the_same_origin(client, site):
    body = client.get("/robots.txt", HTTP_HOST="other.example").content.decode()
    assert f"Sitemap: {SITE}/sitemap.xml" in body


def test_make_run_links_to_the_port_it_serves():
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
    plan = subprocess.run(
        ["make", "-n", "run", "PORT=8163"],  # noqa: S607 - make, as a developer runs it
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "SITE_URL=http://127.0.0.1:8163 " in plan
    assert "runserver 127.0.0.1:8163" in plan
