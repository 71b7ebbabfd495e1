"""
Every email the platform sends goes through ``email_enqueue``: it is queued after the current
transaction commits (never for a rolled-back change), rendered and sent by a task, and keyed so
that it is sent at most once however often the task runs.
"""

from django.conf import settings
from django.db import transaction


def absolute_url(path):
    """A link for an email or a feed: SITE_URL plus the path."""
    return f"{settings.SITE_URL}{path}"


def email_enqueue(*, key, to, subject, template, context=None):
    """
    Send ``templates/emails/<template>.txt`` to ``to`` once the transaction commits.

    ``key`` names the email uniquely (e.g. ``column-published:12:expert:5``): a second enqueue
    with the same key is a no-op at send time. ``context`` must be JSON-serialisable, since the
    task may run in another process.
    """
    if not to:
        return
    from .tasks import send_email

    transaction.on_commit(
        lambda: send_email.enqueue(
            key=key, to=to, subject=subject, template=template, context=context or {}
        )
    )
