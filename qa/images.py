"""
Images with Pillow: headshots checked and re-encoded on upload, square renditions for
``srcset``, and each published column's 1200×630 share image.

A headshot is trusted by its content, never its name: it must decode as JPEG, PNG or WebP,
stay under 5 MB and a pixel budget, and it is re-encoded so EXIF (GPS included) never reaches
the public site.
"""

import hashlib
import io
import textwrap
import uuid
import warnings
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from .models import Column

HEADSHOT_MAX_BYTES = 5 * 1024 * 1024
HEADSHOT_MAX_PIXELS = 25_000_000
HEADSHOT_MIN_SIDE = 64
HEADSHOT_FORMATS = {"JPEG", "PNG", "WEBP"}
RENDITION_SIZES = (96, 192, 384)
RENDITION_FORMATS = {"webp": "WEBP", "jpg": "JPEG"}
SHARE_SIZE = (1200, 630)

INK = (29, 29, 31)
PAPER = (255, 255, 255)
ACCENT = (11, 92, 173)
TINT = (232, 239, 248)
FONT_DIR = "/usr/share/fonts/truetype/dejavu/"


THE_HEADSHOT = _("The headshot")


def image_open(upload, *, what=THE_HEADSHOT, min_side=HEADSHOT_MIN_SIDE):
    """
    Decode an upload after checking its size, then its decoded type and pixel count, whatever
    its name or declared content type. ``what`` names it in the errors. Raises ValidationError.
    """
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > HEADSHOT_MAX_BYTES:
        raise ValidationError(
            _("%(what)s is %(mb).1f MB; the most is 5 MB."),
            code="file_too_large",
            params={"what": what, "mb": size / 1024 / 1024},
        )
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload)
            if image.format not in HEADSHOT_FORMATS:
                raise ValidationError(
                    _("%(what)s must be a JPEG, PNG or WebP image, not %(kind)s."),
                    code="invalid_type",
                    params={"what": what, "kind": image.format or "an unknown format"},
                )
            width, height = image.size
            if width * height > HEADSHOT_MAX_PIXELS:
                raise ValidationError(
                    _("%(what)s is %(w)d×%(h)d pixels; the most is 25 megapixels."),
                    code="too_many_pixels",
                    params={"what": what, "w": width, "h": height},
                )
            if min(width, height) < min_side:
                raise ValidationError(
                    _("%(what)s is %(w)d×%(h)d pixels; it needs at least %(min)d on each side."),
                    code="too_small",
                    params={"what": what, "w": width, "h": height, "min": min_side},
                )
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ValidationError(
            _("%(what)s has too many pixels; the most is 25 megapixels."),
            code="too_many_pixels",
            params={"what": what},
        ) from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ValidationError(
            _("%(what)s is not a whole image Pillow can read (JPEG, PNG or WebP)."),
            code="invalid_image",
            params={"what": what},
        ) from error
    return image


def headshot_open(upload):
    """Decode a headshot upload after checking size, type and pixel count."""
    return image_open(upload)


def _flatten(image):
    """Upright, RGB, transparent areas on white."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, PAPER)
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def headshot_reencode(upload):
    """A checked upload re-encoded as a JPEG with no metadata, as a file to store."""
    image = _flatten(headshot_open(upload))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88, optimize=True)
    stem = PurePosixPath(getattr(upload, "name", "") or "headshot").stem[:80] or "headshot"
    return ContentFile(buffer.getvalue(), name=f"{stem}.jpg")


INLINE_MAX_SIDE = 2000


def inline_image_reencode(upload):
    """
    An image for an answer's body (markdownx's upload), checked like a headshot and re-encoded
    in its own format (JPEG, PNG or WebP), upright, at most 2000 pixels a side, with no
    metadata: what was uploaded is never what is stored.
    """
    image = image_open(upload, what=_("The image"), min_side=1)
    kind = image.format
    image = ImageOps.exif_transpose(image)
    image.thumbnail((INLINE_MAX_SIDE, INLINE_MAX_SIDE))
    if kind == "JPEG":
        image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    buffer = io.BytesIO()
    image.save(buffer, kind, **({"quality": 88} if kind != "PNG" else {"optimize": True}))
    extension = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[kind]
    return ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")


def rendition_name(headshot_name, size, extension):
    path = PurePosixPath(headshot_name)
    return f"headshots/renditions/{path.stem}-{size}.{extension}"


def headshot_renditions_make(expert, *, storage=default_storage):
    """Square crops of the stored headshot at every size and format; missing ones only."""
    if not expert.headshot:
        return []
    names = [
        (size, extension, rendition_name(expert.headshot.name, size, extension))
        for size in RENDITION_SIZES
        for extension in RENDITION_FORMATS
    ]
    missing = [entry for entry in names if not storage.exists(entry[2])]
    if not missing:
        return []
    with storage.open(expert.headshot.name, "rb") as handle:
        source = _flatten(Image.open(handle))
    made = []
    for size, extension, name in missing:
        square = ImageOps.fit(source, (size, size), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        square.save(buffer, RENDITION_FORMATS[extension], quality=85)
        made.append(storage.save(name, ContentFile(buffer.getvalue())))
    return made


def headshot_sources(expert, *, storage=default_storage):
    """URLs for ``<picture>``: WebP and JPEG srcsets, and the JPEG fallback. None without one."""
    if not expert.headshot:
        return None

    def srcset(extension):
        return ", ".join(
            f"{storage.url(rendition_name(expert.headshot.name, size, extension))} {size}w"
            for size in RENDITION_SIZES
        )

    return {
        "webp": srcset("webp"),
        "jpeg": srcset("jpg"),
        "src": storage.url(rendition_name(expert.headshot.name, RENDITION_SIZES[1], "jpg")),
        # The largest square, for og:image and the profile's JSON-LD.
        "large": storage.url(rendition_name(expert.headshot.name, RENDITION_SIZES[-1], "jpg")),
    }


def expert_saved(sender, instance, **kwargs):
    """post_save: make the renditions of a new headshot (the stored one, already re-encoded)."""
    if instance.headshot:
        headshot_renditions_make(instance)


def _font(size, bold=False):
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        # The basic layout: raqm's complex layout fails outright on some hostile titles.
        return ImageFont.truetype(FONT_DIR + name, size, layout_engine=ImageFont.Layout.BASIC)
    except OSError:
        return ImageFont.load_default(size=size)


def _share_experts(answers):
    seen, experts = set(), []
    for answer in answers:
        if answer.expert_id not in seen:
            seen.add(answer.expert_id)
            experts.append(answer.expert)
    return experts[:6]


def share_image_name(column, answers):
    """The share image's file name: a digest of everything drawn on it."""
    parts = [column.title, column.category.name]
    parts += [f"{e.name}|{e.headshot.name or ''}" for e in _share_experts(answers)]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]
    # The field holds 100 characters: 6 + 60 + 1 + 12 + 4, and room for the suffix a storage
    # adds when the name is taken.
    return f"share/{column.slug[:60]}-{digest}.png"


def share_image_draw(column, answers, *, storage=default_storage):
    """The 1200×630 PNG: category, title, and a row of the experts' headshots or initials."""
    width, height = SHARE_SIZE
    image = Image.new("RGB", SHARE_SIZE, PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, width, 14], fill=ACCENT)
    draw.text((72, 64), column.category.name.upper(), font=_font(30, bold=True), fill=ACCENT)
    title_font = _font(58, bold=True)
    lines = textwrap.wrap(column.title, width=32)[:4]
    y = 120
    for line in lines:
        draw.text((72, y), line, font=title_font, fill=INK)
        y += 72
    x, size = 72, 104
    top = height - size - 56
    for expert in _share_experts(answers):
        mask = Image.new("L", (size, size), 0)
        ImageDraw.Draw(mask).ellipse([0, 0, size - 1, size - 1], fill=255)
        face = None
        if expert.headshot:
            try:
                with storage.open(expert.headshot.name, "rb") as handle:
                    face = ImageOps.fit(_flatten(Image.open(handle)), (size, size))
            except (OSError, ValueError):
                face = None
        if face is None:
            face = Image.new("RGB", (size, size), TINT)
            face_draw = ImageDraw.Draw(face)
            face_draw.text(
                (size / 2, size / 2),
                expert.initials,
                font=_font(40, bold=True),
                fill=ACCENT,
                anchor="mm",
            )
        image.paste(face, (x, top), mask)
        x += size + 24
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def share_image_ensure(column, answers, *, storage=default_storage):
    """
    The column's share image, redrawn when what it shows has changed. Idempotent: the name
    is a digest of its content, so two processes racing draw the same picture.
    """
    name = share_image_name(column, answers)
    if column.share_image.name == name:
        return name
    if not storage.exists(name):
        name = storage.save(name, ContentFile(share_image_draw(column, answers, storage=storage)))
    old = column.share_image.name
    Column.objects.filter(pk=column.pk).update(share_image=name)
    column.share_image.name = name
    if old and old != name:
        storage.delete(old)
    return name


def publication_card_draw(publication):
    """The publication's 1200×630 PNG card (home, topics, the panel): its name and tagline."""
    width, height = SHARE_SIZE
    image = Image.new("RGB", SHARE_SIZE, PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, width, 14], fill=ACCENT)
    y = 200
    for line in textwrap.wrap(publication.name, width=26)[:3]:
        draw.text((72, y), line, font=_font(72, bold=True), fill=INK)
        y += 88
    for line in textwrap.wrap(publication.tagline, width=44)[:2]:
        draw.text((72, y + 24), line, font=_font(40), fill=ACCENT)
        y += 52
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def publication_card_version(publication):
    """A digest of what the card shows: its URL changes when the name or tagline does."""
    text = f"{publication.name}\n{publication.tagline}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]
