"""Request-wide handling of failures that are no fault of the request."""

from .views.errors import DATABASE_DOWN, database_unavailable


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
