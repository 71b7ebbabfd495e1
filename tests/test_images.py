import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from qa.images import (
    ExpertForm,
    headshot_reencode,
    headshot_sources,
    rendition_name,
    share_image_draw,
)

from .factories import AnswerFactory, ColumnFactory, ExpertFactory


def jpeg_with_gps(size=(300, 200)):
    image = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}  # GPS
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def png_bytes(size=(200, 200)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 90, 170)).save(buffer, "PNG")
    return buffer.getvalue()


def huge_png_header(width=20000, height=20000):
    """A real PNG header declaring width×height; decoding it would need 400 megapixels."""

    def chunk(kind, payload):
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def upload(name, content, content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("notes.png", b"just some text, honestly", "invalid_image"),
        (
            "logo.png",
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>',
            "invalid_image",
        ),
        ("huge.png", huge_png_header(), "too_many_pixels"),
        ("tiny.png", png_bytes((20, 20)), "too_small"),
    ],
)
def test_refused_uploads(name, content, code):
    with pytest.raises(ValidationError) as error:
        headshot_reencode(upload(name, content))
    assert error.value.code == code


def test_gif_is_refused_by_its_content_not_its_name():
    buffer = io.BytesIO()
    Image.new("RGB", (100, 100)).save(buffer, "GIF")
    with pytest.raises(ValidationError) as error:
        headshot_reencode(upload("photo.jpg", buffer.getvalue()))
    assert error.value.code == "invalid_type"


def test_over_five_megabytes_is_refused():
    with pytest.raises(ValidationError) as error:
        headshot_reencode(upload("big.png", b"\x00" * (5 * 1024 * 1024 + 1)))
    assert error.value.code == "file_too_large"


def test_gps_exif_is_stripped_by_reencoding():
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    cleaned = headshot_reencode(upload("me.jpg", original, "image/jpeg"))
    with Image.open(io.BytesIO(cleaned.read())) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert image.size == (300, 200)
    assert cleaned.name == "me.jpg"


@pytest.mark.django_db
def test_admin_form_validates_and_saving_makes_renditions(settings):
    expert = ExpertFactory()
    form = ExpertForm(
        data={"name": expert.name, "slug": expert.slug, "company": "C", "is_active": "on"},
        files={"headshot": upload("me.jpg", jpeg_with_gps(), "image/jpeg")},
        instance=expert,
    )
    assert form.is_valid(), form.errors
    expert = form.save()
    for size in (96, 192, 384):
        for extension, kind in (("webp", "WEBP"), ("jpg", "JPEG")):
            path = settings.MEDIA_ROOT / rendition_name(expert.headshot.name, size, extension)
            with Image.open(path) as image:
                assert (image.format, image.size) == (kind, (size, size))
                assert not image.getexif()
    sources = headshot_sources(expert)
    assert sources["webp"].endswith("-384.webp 384w") and "-96.webp 96w" in sources["webp"]


@pytest.mark.django_db
def test_admin_form_reports_a_bad_headshot_on_its_field():
    expert = ExpertFactory()
    form = ExpertForm(
        data={"name": expert.name, "slug": expert.slug},
        files={"headshot": upload("x.png", b"not an image")},
        instance=expert,
    )
    assert not form.is_valid()
    assert "JPEG, PNG or WebP" in form.errors["headshot"][0]


@pytest.mark.django_db
def test_expert_admin_uses_the_checking_form(editor_client):
    expert = ExpertFactory()
    response = editor_client.post(
        f"/admin/qa/expert/{expert.pk}/change/",
        {
            "name": expert.name,
            "slug": expert.slug,
            "company": expert.company,
            "headshot": upload("x.png", b"<svg></svg>"),
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "JPEG, PNG or WebP" in response.text
    expert.refresh_from_db()
    assert not expert.headshot


@pytest.mark.django_db
def test_profile_uses_srcset_with_webp_and_jpeg(client):
    expert = ExpertFactory()
    form = ExpertForm(
        data={"name": expert.name, "slug": expert.slug, "is_active": "on"},
        files={"headshot": upload("me.png", png_bytes())},
        instance=expert,
    )
    assert form.is_valid()
    form.save()
    html = client.get(expert.get_absolute_url()).text
    assert '<source type="image/webp" srcset="/media/headshots/renditions/' in html
    assert 'srcset="/media/headshots/renditions/' in html and "-384.jpg 384w" in html


@pytest.mark.django_db
def test_share_image_is_1200_by_630_with_initials_fallback():
    answer = AnswerFactory(column=ColumnFactory(published=True))
    png = share_image_draw(answer.column, [answer])
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (1200, 630)


@pytest.mark.django_db
def test_a_column_with_the_longest_slug_gets_its_share_image(client):
    """A 200-character slug still fits the share image's 100-character file name."""
    column = AnswerFactory(column=ColumnFactory(published=True, slug="s" * 200)).column
    assert client.get(column.get_absolute_url()).status_code == 200
    column.refresh_from_db()
    assert column.share_image.name and len(column.share_image.name) <= 100
