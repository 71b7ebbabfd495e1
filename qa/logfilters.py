"""Logging filters for the handlers in settings.LOGGING, and the redaction gunicorn's too."""

import logging
import re
import time

# The paths whose last part is a secret that opens someone's data: a reader's status link, a
# subscriber's newsletter links, the staff's password links.
SECRET_IN_PATH = re.compile(
    r"(/questions/"
    r"|/newsletter/(?:confirm|preferences|unsubscribe)/"
    r"|/admin/(?:reset|welcome)/[^/\s?#]+/(?!set-password/))"
    r"[^/\s?#]+"
)


def redact_private_links(text):
    """``text`` with the token of every private link in it replaced by ``<token>``."""
    # Plain substring tests first: gunicorn's logger passes every value of every request here.
    if "/questions/" not in text and "/newsletter/" not in text and "/admin/" not in text:
        return text
    return SECRET_IN_PATH.sub(r"\1<token>", text)


class PrivateLinks(logging.Filter):
    """
    A record whose message names a private link (Django's "Not Found: /questions/…", a 503 for
    a subscriber's page) is logged with ``<token>`` in place of its secret.
    """

    def filter(self, record):
        message = record.getMessage()
        redacted = redact_private_links(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


class OncePerInterval(logging.Filter):
    """
    Let one record through per logger and message per ``seconds`` (in this process): an
    outage that logs the same error on every request mails the admins once, not a thousand
    times. The console still gets every record; only the handler this filters is spared.
    """

    def __init__(self, seconds=600):
        super().__init__()
        self.seconds = seconds
        self.last = {}

    def filter(self, record):
        key = (record.name, str(record.msg))
        now = time.monotonic()
        if now - self.last.get(key, float("-inf")) < self.seconds:
            return False
        self.last[key] = now
        return True
