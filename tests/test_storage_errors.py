"""
A full disk or an unreachable storage during an upload: a clear 507 or 503, no partial file,
nothing half-saved. The disk is made full by a write that fails with ENOSPC part-way through.
"""

import errno
import os

import pytest
from django.core.files.storage import default_storage

from .published import jpeg_upload

pytestmark = pytest.mark.django_db


class FailingFile:
    """A file in the media folder whose writes stop at 100 bytes with ``code``."""

    def __init__(self, real, code):
        self.real, self.code, self.written = real, code, 0

    def write(self, data):
        room = max(0, 100 - self.written)
        self.real.write(data[:room])
        self.real.flush()
        self.written += min(room, len(data))
        if len(data) > room:
            raise OSError(self.code, os.strerror(self.code))
        return len(data)

    def __getattr__(self, name):
        return getattr(self.real, name)


def failing_media(monkeypatch, code):
    media = str(default_storage.location)
    ours = set()
    real_open, real_fdopen = os.open, os.fdopen

    def tracking_open(path, flags, *args, **kwargs):
        fd = real_open(path, flags, *args, **kwargs)
        if str(path).startswith(media):
            ours.add(fd)
        return fd

    def failing_fdopen(fd, *args, **kwargs):
        real = real_fdopen(fd, *args, **kwargs)
        return FailingFile(real, code) if fd in ours else real

    monkeypatch.setattr(os, "open", tracking_open)
    monkeypatch.setattr(os, "fdopen", failing_fdopen)


@pytest.fixture
def disk_full(monkeypatch):
    failing_media(monkeypatch, errno.ENOSPC)


@pytest.fixture
def storage_broken(monkeypatch):
    failing_media(monkeypatch, errno.EIO)


def media_files():
    root = default_storage.location
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _dirs, names in os.walk(root)
        for name in names
    )


def test_an_inline_image_on_a_full_disk_is_a_507_in_json_and_leaves_nothing(
    expert_a_client, disk_full
):
    response = expert_a_client.post("/markdownx/upload/", {"image": jpeg_upload()})
    assert response.status_code == 507
    assert "disk is full" in response.json()["image"][0]
    assert media_files() == []


def test_a_headshot_on_a_full_disk_is_a_507_page_and_the_profile_is_unchanged(
    expert_a, expert_a_client, disk_full
):
    expert = expert_a.expert
    url = f"/admin/qa/expert/{expert.pk}/change/"
    form = expert_a_client.get(url)
    assert form.status_code == 200
    response = expert_a_client.post(
        url,
        {"name": "Renamed While Full", "bio": "New bio", "headshot": jpeg_upload()},
    )
    assert response.status_code == 507, response.content[:500]
    assert b"disk is full" in response.content
    assert b"Nothing was saved" in response.content
    expert.refresh_from_db()
    assert expert.name != "Renamed While Full" and not expert.headshot
    assert media_files() == []


def test_storage_failing_otherwise_is_a_503(expert_a_client, storage_broken):
    response = expert_a_client.post("/markdownx/upload/", {"image": jpeg_upload()})
    assert response.status_code == 503
    assert "not available" in response.json()["image"][0]
    assert response["Retry-After"]
    assert media_files() == []
