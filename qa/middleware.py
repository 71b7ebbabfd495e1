"""Request-wide handling: failures that are no fault of the request, and compression."""

import re

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.middleware.gzip import GZipMiddleware
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers

from .views.errors import DATABASE_DOWN, database_unavailable


class StorageErrorMiddleware:
    """
    A file the storage could not take (disk full, bucket unreachable) answers 507 or 503 with
    what happened, in JSON for the editor's image upload and as a page otherwise; never a 500.
    Whatever the request was saving is rolled back with its transaction.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        error = storage_error(exception)
        if error is None:
            return None
        if request.path.startswith(settings.MARKDOWNX_UPLOAD_URLS_PATH):
            response = JsonResponse({"image": [error.message]}, status=error.status)
        else:
            response = HttpResponse(
                render_to_string("storage_error.html", {"message": error.message}),
                status=error.status,
            )
        response["Retry-After"] = "300"
        response["Cache-Control"] = "no-store"
        return response


def storage_error(exception):
    """The StorageError behind ``exception``, also when object storage's client raised it."""
    from .storage import StorageError

    if isinstance(exception, StorageError):
        return exception
    module = type(exception).__module__
    if module.startswith(("botocore", "boto3", "s3transfer", "storages")):
        return StorageError(str(exception))
    return None


class DatabaseUnavailableMiddleware:
    """
    A view that cannot reach the database answers 503 with ``Retry-After``, never a traceback,
    even with DEBUG on. (Outside views, ``handler500`` does the same.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_DOWN):
            return database_unavailable(request, exception)
        return None


ACCEPTS_GZIP = re.compile(r"\bgzip\b")


class CompressionMiddleware(GZipMiddleware):
    """
    Django's gzip for text: pages, feeds, the sitemap, robots.txt, JSON. Images and files that
    are already compressed, or already encoded (WhiteNoise's static files), pass untouched.

    It sits before the page cache, so cached pages are compressed on the way out while the cache
    keeps one copy. A compressed response's ETag is weak (``W/"…"``, Django's way), so the two
    encodings never share a strong validator; a 304 to a client that accepts gzip gets the same
    weak ETag its 200 had. Every compressible response varies on ``Accept-Encoding``, so a shared
    cache keeps the two apart.
    """

    COMPRESSIBLE = (
        "text/",
        "application/json",
        "application/ld+json",
        "application/xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/javascript",
        "image/svg+xml",
    )

    def process_response(self, request, response):
        if response.status_code == 304:
            return self._not_modified(request, response)
        if response.has_header("Content-Encoding") or not response.get(
            "Content-Type", ""
        ).startswith(self.COMPRESSIBLE):
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        return super().process_response(request, response)

    def _not_modified(self, request, response):
        # Static files and media are never compressed here: their 304s keep their ETags.
        if request.path.startswith((settings.STATIC_URL, settings.MEDIA_URL)):
            return response
        etag = response.get("ETag", "")
        if etag.startswith('"') and ACCEPTS_GZIP.search(
            request.META.get("HTTP_ACCEPT_ENCODING", "")
        ):
            response["ETag"] = f"W/{etag}"
        patch_vary_headers(response, ("Accept-Encoding",))
        return response
