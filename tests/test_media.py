"""Uploaded media served from the local folder, in production mode: types, caching, nothing runs."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from qa.images import headshot_reencode, inline_image_reencode

from .published import jpeg_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


def test_a_headshot_is_an_image_kept_a_day(client):
    name = default_storage.save("headshots/face.jpg", headshot_reencode(jpeg_upload()))
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "script-src" not in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "public, max-age=86400"
    assert "Content-Disposition" not in response
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"


def test_an_answer_image_has_a_unique_name_and_is_kept_a_year(client):
    name = default_storage.save("answers/x.jpg", inline_image_reencode(jpeg_upload()))
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"


def test_a_conditional_get_is_answered_304(client):
    name = default_storage.save("share/col-abc.png", ContentFile(b"\x89PNG\r\n"))
    first = client.get(f"/media/{name}")
    again = client.get(f"/media/{name}", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize(
    "name", ["answers/page.html", "answers/script.svg", "headshots/x.js", "answers/noext"]
)
def test_anything_not_an_image_is_an_attachment(client, name):
    default_storage.save(name, ContentFile(b"<script>alert(1)</script>"))
    response = client.get(f"/media/{name}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    "path",
    [
        "/media/../panel/settings.py",
        "/media/%2e%2e/panel/settings.py",
        "/media/..%2fpanel%2fsettings.py",
        "/media/headshots/missing.jpg",
        "/media/.hidden.jpg",
        "/media/headshots/",
        "/media/a%00.jpg",
    ],
)
def test_nothing_outside_or_missing(client, path):
    default_storage.save(".hidden.jpg", ContentFile(b"x"))
    assert client.get(path).status_code == 404


def test_only_get_and_head(client):
    name = default_storage.save("headshots/face.jpg", headshot_reencode(jpeg_upload()))
    assert client.head(f"/media/{name}").status_code == 200
    assert client.post(f"/media/{name}").status_code == 405
