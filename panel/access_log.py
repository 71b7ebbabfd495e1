"""
gunicorn's access log without the secrets some paths carry (``logger_class`` in
gunicorn.conf.py): a reader's status link, a subscriber's newsletter links, and the staff's
password links each hold a token that opens someone's data. The log keeps the path with
``<token>`` in its place, so it still shows which page was asked for.
"""

from gunicorn.glogging import Logger

from qa.logfilters import redact_private_links


class AccessLogger(Logger):
    """gunicorn's logger; every value an access log line may show has its tokens redacted."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: redact_private_links(value) if isinstance(value, str) else value
            for key, value in atoms.items()
        }
