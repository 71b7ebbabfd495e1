"""Logging filters for the handlers in settings.LOGGING."""

import logging
import time


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
