"""
Pages for when things go wrong: the database is unreachable or the server failed. (A locked-out
sign-in has its page with the admin, in ``qa.admin.lockout``.)

The 503 and 500 pages are rendered without a request, so no context processor runs: they must
draw even when every query would fail.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.template.loader import render_to_string
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)

DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def database_unavailable(request, exception):
    logger.error(
        "Database unavailable for %s %s: %s",
        request.method,
        request.path,
        exception,
        exc_info=exception,
    )
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


@requires_csrf_token
def server_error(request):
    """``handler500``: a 503 when the failure was the database, else a plain 500 page."""
    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_DOWN):
        return database_unavailable(request, exception)
    return HttpResponseServerError(render_to_string("500.html"))
