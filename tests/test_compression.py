"""gzip on the way out: pages (cached or not), feeds, the sitemap; never images; ETags."""

import gzip

import pytest
from django.core.files.storage import default_storage

from qa.images import headshot_reencode

from .factories import AnswerFactory, ColumnFactory
from .published import jpeg_upload

pytestmark = pytest.mark.django_db

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


@pytest.fixture
def column():
    column = ColumnFactory(published=True, title="Follow up over Facebook?")
    AnswerFactory(column=column, body="Send a note. " * 50)
    return column


def body(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Encoding") == "gzip":
        return gzip.decompress(content)
    return content


@pytest.mark.parametrize("path", ["/", "/columns/", "/experts/", "/feed/", "/feed/atom/"])
def test_pages_and_feeds_are_compressed_for_a_client_that_accepts_gzip(client, column, path):
    plain = client.get(path)
    assert plain.status_code == 200 and "Content-Encoding" not in plain
    assert "Accept-Encoding" in plain["Vary"]
    packed = client.get(path, **GZIP)
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert len(packed.content) < len(plain.content)
    assert body(packed) == plain.content


def test_a_cached_column_page_is_compressed_on_every_hit(client, column):
    path = column.get_absolute_url()
    first = client.get(path, **GZIP)
    hit = client.get(path, **GZIP)  # from the page cache: no view runs
    plain_hit = client.get(path)
    assert first["Content-Encoding"] == hit["Content-Encoding"] == "gzip"
    assert body(hit) == body(first) == plain_hit.content
    assert column.title.encode() in plain_hit.content


def test_etags_differ_by_encoding_and_304s_keep_them(client, column):
    path = column.get_absolute_url()
    plain = client.get(path)
    packed = client.get(path, **GZIP)
    strong = plain["ETag"]
    assert strong.startswith('"')
    assert packed["ETag"] == f"W/{strong}"
    again = client.get(path, HTTP_IF_NONE_MATCH=packed["ETag"], **GZIP)
    assert again.status_code == 304
    assert again["ETag"] == packed["ETag"]
    assert "Accept-Encoding" in again["Vary"]
    plain_again = client.get(path, HTTP_IF_NONE_MATCH=strong)
    assert plain_again.status_code == 304
    assert plain_again["ETag"] == strong


def test_sitemap_and_robots_are_compressed(client, column):
    for path in ("/sitemap.xml",):
        assert client.get(path, **GZIP)["Content-Encoding"] == "gzip"


def test_images_and_small_answers_are_left_alone(client, settings):
    settings.DEBUG = False
    name = default_storage.save("headshots/face.jpg", headshot_reencode(jpeg_upload()))
    response = client.get(f"/media/{name}", **GZIP)
    assert "Content-Encoding" not in response
    assert body(response)[:2] == b"\xff\xd8"
    health = client.get("/healthz", **GZIP)
    assert "Content-Encoding" not in health and health.content == b"ok"


def test_a_page_with_a_form_is_compressed_with_its_token(client):
    response = client.get("/ask/", **GZIP)
    assert response["Content-Encoding"] == "gzip"
    assert b"csrfmiddlewaretoken" in body(response)
