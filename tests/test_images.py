import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from qa.admin.experts import ExpertForm
from qa.images import (
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
    from qa.tasks import share_image_refresh

    column = AnswerFactory(column=ColumnFactory(published=True, slug="s" * 200)).column
    share_image_refresh.call(column_id=column.pk)
    column.refresh_from_db()
    assert column.share_image.name and len(column.share_image.name) <= 100
    assert column.share_image.name in client.get(column.get_absolute_url()).text


# -- hostile uploads, through both doors: the expert's headshot and markdownx's endpoint ------


def jpeg_bytes(size=(300, 200)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (90, 140, 60)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def real_bomb_png():
    """A genuine PNG of 64 megapixels, a few kilobytes on disk (one bit a pixel, all white)."""
    buffer = io.BytesIO()
    Image.new("1", (8000, 8000), 1).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


# name, bytes, declared content type
ATTACKS = {
    "text named .png": ("notes.png", b"just some text, honestly\n" * 20, "image/png"),
    "HTML sent as image/jpeg": (
        "photo.jpg",
        b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>",
        "image/jpeg",
    ),
    "SVG with script": (
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" '
        b'onload="alert(1)"><script>alert(2)</script><rect width="100" height="100"/></svg>',
        "image/svg+xml",
    ),
    "SVG with script named .png": (
        "logo.png",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "image/png",
    ),
    "decompression bomb (declared 400 megapixels)": ("bomb.png", huge_png_header(), "image/png"),
    "decompression bomb (a real 64-megapixel PNG)": ("bomb2.png", real_bomb_png(), "image/png"),
    "over the size limit": (
        "big.jpg",
        jpeg_bytes()[:-2] + b"\x00" * (5 * 1024 * 1024) + b"\xff\xd9",
        "image/jpeg",
    ),
    "truncated JPEG": ("cut.jpg", jpeg_bytes((400, 400))[:700], "image/jpeg"),
    "polyglot GIF/JS": (
        "poly.gif",
        b"GIF89a/*\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00"
        b"\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;*/=alert(1);//",
        "image/gif",
    ),
    "polyglot GIF/JS named .jpg": (
        "poly.jpg",
        b"GIF89a/*\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00"
        b"\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;*/=alert(1);//",
        "image/jpeg",
    ),
}


def stored_files(settings):
    root = settings.MEDIA_ROOT
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def post_headshot(client, expert, name, content, content_type):
    return client.post(
        f"/admin/qa/expert/{expert.pk}/change/",
        {
            "bio": "Bio",
            "company": "Co",
            "company_url": "",
            "headshot": upload(name, content, content_type),
        },
    )


def post_inline(client, name, content, content_type):
    return client.post(
        "/markdownx/upload/",
        {"image": upload(name, content, content_type)},
        headers={"x-requested-with": "XMLHttpRequest"},
    )


@pytest.mark.django_db
@pytest.mark.parametrize("attack", ATTACKS)
def test_a_hostile_headshot_gets_a_clear_error_and_nothing_is_stored(
    attack, expert_a, expert_a_client, settings
):
    name, content, content_type = ATTACKS[attack]
    response = post_headshot(expert_a_client, expert_a.expert, name, content, content_type)
    assert response.status_code == 200  # the form again, with its error
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["headshot"], errors
    assert errors["headshot"][0].startswith("The headshot ")
    expert_a.expert.refresh_from_db()
    assert not expert_a.expert.headshot
    assert expert_a.expert.bio == ""  # nothing of the refused form was saved
    assert stored_files(settings) == []


@pytest.mark.django_db
@pytest.mark.parametrize("attack", ATTACKS)
def test_a_hostile_inline_image_gets_a_clear_error_and_nothing_is_stored(
    attack, expert_a_client, settings
):
    name, content, content_type = ATTACKS[attack]
    response = post_inline(expert_a_client, name, content, content_type)
    assert response.status_code == 400
    assert response.json()["image"][0].startswith("The image ")
    assert stored_files(settings) == []


@pytest.mark.django_db
def test_inline_upload_without_the_script_header_still_answers_json(expert_a_client, settings):
    """markdownx's own view rendered a missing template (a 500) for a plain POST."""
    response = expert_a_client.post(
        "/markdownx/upload/", {"image": upload(*ATTACKS["truncated JPEG"])}
    )
    assert response.status_code == 400
    assert "image" in response.json()
    response = expert_a_client.post("/markdownx/upload/", {})
    assert response.status_code == 400
    assert response.json()["image"] == ["This field is required."]
    assert stored_files(settings) == []


def without_exif(data):
    with Image.open(io.BytesIO(data)) as image:
        return image.format, not image.getexif(), "exif" not in image.info


@pytest.mark.django_db
def test_gps_exif_is_stripped_through_both_doors(expert_a, expert_a_client, settings):
    original = jpeg_with_gps()
    response = post_headshot(expert_a_client, expert_a.expert, "me.jpg", original, "image/jpeg")
    assert response.status_code == 302
    expert_a.expert.refresh_from_db()
    stored = (settings.MEDIA_ROOT / expert_a.expert.headshot.name).read_bytes()
    assert without_exif(stored) == ("JPEG", True, True)

    response = post_inline(expert_a_client, "me.jpg", original, "image/jpeg")
    assert response.status_code == 200
    url = response.json()["image_code"][len("![](") : -1]
    stored = (settings.MEDIA_ROOT / url.removeprefix(settings.MEDIA_URL)).read_bytes()
    assert without_exif(stored) == ("JPEG", True, True)
    assert b"PhoneMaker" not in stored


@pytest.mark.django_db
def test_script_hidden_after_a_real_image_is_not_stored(expert_a_client, settings):
    """A JPEG/HTML polyglot decodes, but what is stored is Pillow's re-encoding alone."""
    polyglot = jpeg_bytes() + b"<script>alert(1)</script>"
    response = post_inline(expert_a_client, "poly.jpg", polyglot, "image/jpeg")
    assert response.status_code == 200
    (stored,) = stored_files(settings)
    assert stored.endswith(".jpg")
    assert b"<script" not in (settings.MEDIA_ROOT / stored).read_bytes()
