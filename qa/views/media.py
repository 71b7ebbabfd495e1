"""
Uploaded media (headshots, their renditions, answer images, share images) from the local media
folder: the single-machine deployment's way, in production as in development. Several web
nodes put media on object storage instead (MEDIA_STORAGE=s3), and this view is not routed.

Everything stored there was re-encoded by Pillow, but the view does not rely on it: an image
type is served as that image with ``nosniff``; any other file is an attachment of type
``application/octet-stream``. Every response carries a CSP that lets nothing run.
"""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404
from django.utils._os import safe_join
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_safe

IMAGE_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
}
# Names that are never reused for other content: answer images are named by a random UUID,
# share images by a digest of what they show. Browsers and CDNs may keep them for a year.
IMMUTABLE_FOLDERS = ("answers/", "share/")
IMMUTABLE = "public, max-age=31536000, immutable"
# Headshots keep their uploaded name, which a later upload may take once the first is gone.
REUSABLE = "public, max-age=86400"
NOTHING_RUNS = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


@require_safe
def media(request, path):
    if "\x00" in path or any(part.startswith(".") for part in Path(path).parts):
        raise Http404("No such file.")
    try:
        full = Path(safe_join(settings.MEDIA_ROOT, path))
        stat = full.stat()
    except (SuspiciousFileOperation, OSError) as error:  # outside the folder, or missing
        raise Http404("No such file.") from error
    if not full.is_file():
        raise Http404("No such file.")
    etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
    last_modified = http_date(stat.st_mtime)
    not_modified = get_conditional_response(request, etag=etag, last_modified=int(stat.st_mtime))
    if not_modified is not None:
        _headers(not_modified, path, etag, last_modified)
        return not_modified
    content_type = IMAGE_TYPES.get(full.suffix.lower())
    response = FileResponse(
        full.open("rb"),
        content_type=content_type or "application/octet-stream",
        as_attachment=content_type is None,
        filename=full.name,
    )
    if content_type:
        # FileResponse names the file for every response; an image is shown, not saved.
        del response["Content-Disposition"]
    _headers(response, path, etag, last_modified)
    return response


def _headers(response, path, etag, last_modified):
    response["ETag"] = etag
    response["Last-Modified"] = last_modified
    response["Cache-Control"] = IMMUTABLE if path.startswith(IMMUTABLE_FOLDERS) else REUSABLE
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = NOTHING_RUNS
    return response
