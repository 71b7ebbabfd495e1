"""Where a request came from, read one way for every limit (sign-in throttling, the ask form)."""

from django.conf import settings


def client_address(request):
    """
    The address the request came from: ``REMOTE_ADDR``, unless ``TRUSTED_PROXY_HEADER`` names a
    header our own proxy sets (e.g. ``HTTP_X_FORWARDED_FOR``). Then the last entry of that header
    is used, the one our proxy appended; earlier entries are whatever the client claimed.
    """
    header = getattr(settings, "TRUSTED_PROXY_HEADER", None)
    if header:
        forwarded = [part.strip() for part in request.META.get(header, "").split(",")]
        forwarded = [part for part in forwarded if part]
        if forwarded:
            return forwarded[-1][:100]
    return request.META.get("REMOTE_ADDR", "")[:100]
