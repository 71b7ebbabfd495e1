"""
Every email the platform sends goes through ``email_enqueue``: it is queued after the current
transaction commits (never for a rolled-back change), rendered and sent by a task, and keyed so
that it is sent at most once however often the task runs. A failed send is recorded on its
``Dispatch`` row and tried again later, with a growing delay, by the task itself where the task
backend can defer, and by ``manage.py retry_emails`` in any case.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Dispatch

logger = logging.getLogger(__name__)


def absolute_url(path):
    """A link for an email or a feed: SITE_URL plus the path."""
    return f"{settings.SITE_URL}{path}"


def email_enqueue(*, key, to, subject, template, context=None, question=None):
    """
    Send ``templates/emails/<template>.txt`` to ``to`` once the transaction commits.

    ``key`` names the email uniquely (e.g. ``column-published:12:expert:5``): a second enqueue
    with the same key is a no-op at send time. The email is rendered now and stored on its
    ``Dispatch`` row, in the caller's transaction (a rolled-back change leaves no email); the
    task is given the row's id only, so the task queue never holds an address or a text.
    ``question`` ties a reader's email to their question, so that erasing the question
    erases its emails.
    """
    if not to:
        return None
    from .tasks import send_email

    # A subject is one header line: a title with a line break in it would make every try fail.
    subject = " ".join(subject.split())[:300]
    body = render_to_string(f"emails/{template}.txt", context or {})
    # Two queries whether the key is new or not (an INSERT that yields to an existing row).
    Dispatch.objects.bulk_create(
        [Dispatch(key=key, to=to, subject=subject, body=body, question=question)],
        ignore_conflicts=True,
    )
    dispatch = Dispatch.objects.only("pk", "sent_at").get(key=key)
    if dispatch.sent_at is None:
        transaction.on_commit(lambda: send_email.enqueue(dispatch_id=dispatch.pk))
    return dispatch


def retry_delay(attempts):
    """How long to wait after the ``attempts``-th failure: 1, 2, 4, 8 … times the base."""
    return timedelta(seconds=settings.EMAIL_RETRY_SECONDS * 2 ** max(attempts - 1, 0))


def dispatch_attempt(dispatch):
    """
    Send one unsent email, on a row the caller has locked with ``select_for_update``.

    A failure (SMTP down, refused, timed out) is recorded on the row, with when to try next, and
    never raised: the request or task that asked for the email carries on. After
    EMAIL_MAX_ATTEMPTS failures the row gives up, with no next try, and an error is logged.
    Returns True when the email went out.
    """
    if not dispatch.to:
        # Erased before it went out (its question deleted): nothing to send, never again.
        dispatch.retry_at = None
        dispatch.save(update_fields=["retry_at"])
        return False
    dispatch.attempts += 1
    try:
        send_mail(dispatch.subject, dispatch.body, None, [dispatch.to])
    except Exception as error:  # any mail backend's failure: the row records it
        # A refused recipient's error names the address: neither the row nor the log keeps it.
        dispatch.last_error = f"{type(error).__name__}: {error}".replace(
            dispatch.to, "<recipient>"
        )[:2000]
        if dispatch.attempts >= settings.EMAIL_MAX_ATTEMPTS:
            dispatch.retry_at = None
            logger.error(
                "Gave up on email %s (row %s) after %d attempts: %s",
                dispatch.key,
                dispatch.pk,
                dispatch.attempts,
                dispatch.last_error,
            )
        else:
            dispatch.retry_at = timezone.now() + retry_delay(dispatch.attempts)
            logger.warning(
                "Email %s (row %s) failed (attempt %d of %d), next try at %s: %s",
                dispatch.key,
                dispatch.pk,
                dispatch.attempts,
                settings.EMAIL_MAX_ATTEMPTS,
                dispatch.retry_at.isoformat(),
                dispatch.last_error,
            )
        dispatch.save(update_fields=["attempts", "last_error", "retry_at"])
        return False
    dispatch.sent_at = timezone.now()
    dispatch.retry_at = None
    dispatch.save(update_fields=["attempts", "sent_at", "retry_at"])
    return True


def dispatches_due(now=None):
    """Unsent emails whose next try has come (the rows ``retry_emails`` works through)."""
    now = now or timezone.now()
    return Dispatch.objects.filter(sent_at__isnull=True, retry_at__lte=now).order_by("retry_at")


def dispatch_retry(pk):
    """Try one due email again, locked so that two runners never both send it."""
    with transaction.atomic():
        dispatch = Dispatch.objects.select_for_update().filter(pk=pk).first()
        if dispatch is None or dispatch.sent_at is not None or dispatch.retry_at is None:
            return None
        return dispatch_attempt(dispatch)


def emails_retry(*, now=None):
    """
    Try again every email whose next try has come: the worker's periodic job, and cron's through
    ``manage.py retry_emails``. Returns how many were sent and how many failed again.
    """
    sent = failed = 0
    for pk in list(dispatches_due(now).values_list("pk", flat=True)):
        outcome = dispatch_retry(pk)
        if outcome is True:
            sent += 1
        elif outcome is False:
            failed += 1
    return sent, failed
