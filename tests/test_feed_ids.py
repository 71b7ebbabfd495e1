"""
The feeds read by feedparser, as a feed reader would: ids are tag: URIs that stay when a column
is corrected, every address is on SITE_URL whatever the request came in on, and Atom names each
expert in an <author> of their own.
"""

import feedparser
import pytest
from django.test import override_settings

from qa.services import column_correct

from .factories import EditorFactory
from .published import publish_through_services

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_roles"),
]

SITE = "https://panel.example.com"


@pytest.fixture
def published(settings):
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["*"]
    return publish_through_services(EditorFactory(username="feed-editor"))


def parse(client, path, **headers):
    response = client.get(path, **headers)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    return feed


def entry_for(feed, column):
    (entry,) = [e for e in feed.entries if e.title == column.title]
    return entry


@pytest.mark.parametrize("path", ["/feed/", "/feed/atom/"])
def test_ids_are_tag_uris_on_the_sites_host(client, published, path):
    column = published.column
    entry = entry_for(parse(client, path), column)
    assert entry.id == f"tag:panel.example.com,{column.created_at:%Y-%m-%d}:column:{column.pk}"
    assert entry.link == SITE + column.get_absolute_url()
    assert client.get(entry.link.removeprefix(SITE)).status_code == 200


def test_an_id_stays_when_the_title_and_slug_are_corrected(client, published):
    column = published.column
    before = entry_for(parse(client, "/feed/atom/"), column).id
    editor = EditorFactory(username="feed-corrector")
    column = column_correct(column=column, changes={"title": "Follow up on LinkedIn"}, by=editor)
    column.refresh_from_db()
    assert entry_for(parse(client, "/feed/atom/"), column).id == before


@pytest.mark.parametrize("path", ["/feed/", "/feed/atom/"])
@pytest.mark.parametrize(
    "request_origin",
    [
        {"HTTP_HOST": "127.0.0.1:8000"},
        {"HTTP_HOST": "panel.example.com", "wsgi.url_scheme": "http"},
        {"HTTP_HOST": "other.example", "HTTP_X_FORWARDED_PROTO": "https"},
    ],
)
def test_one_origin_whatever_the_request_came_in_on(client, published, path, request_origin):
    with override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        feed = parse(client, path, **request_origin)
    addresses = [feed.feed.link] + [link.href for link in feed.feed.get("links", [])]
    for entry in feed.entries:
        addresses += [entry.link, *(author.get("href", "") for author in entry.get("authors", []))]
    addresses = [a for a in addresses if a]
    assert addresses and all(a.startswith(SITE + "/") for a in addresses), addresses


def test_atom_has_one_author_per_expert(client, published):
    entry = entry_for(parse(client, "/feed/atom/"), published.column)
    assert [(a.name, a.href) for a in entry.authors] == [
        ("Debra Wheatman", SITE + published.experts[0].get_absolute_url()),
        ("Don Goodman", SITE + published.experts[1].get_absolute_url()),
    ]


def test_rss_names_each_expert_as_a_creator(client, published):
    response = client.get("/feed/")
    assert response.content.count(b"<dc:creator>") == 2
    entry = entry_for(parse(client, "/feed/"), published.column)
    assert [author.name for author in entry.authors] == ["Debra Wheatman", "Don Goodman"]
