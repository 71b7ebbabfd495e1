"""
Every email the platform sends goes through ``email_enqueue``: it is queued after the current
transaction commits (never for a rolled-back change), rendered and sent by a task, and keyed so
that it is sent at most once however often the task runs, and whatever process dies when.
A failed send is recorded on its ``Dispatch`` row and tried again later, with a growing delay,
by the task itself where the task backend can defer, and by ``manage.py retry_emails`` in any
case.

At most once, across a kill: a send is three steps, each committed before the next begins.

1. ``dispatch_claim`` locks the row, marks it ``sending_at`` and commits;
2. ``dispatch_send`` hands the message to the mail server, outside any transaction;
3. the outcome (``sent_at``, or the error and the next try) is committed, clearing
   ``sending_at``.

A sender killed between 1 and 3 leaves ``sending_at`` set. Whoever finds the row after the
lease (EMAIL_SENDING_LEASE_SECONDS: the task run again, or ``emails_retry``) resolves it as
"uncertain": never sent again, logged as an error, explained on the row. The Message-ID is
derived from the key (``qa.mail.message_id``), so the provider's logs tell whether it went out.
"""

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .mail import automated_message, message_id
from .models import Dispatch

logger = logging.getLogger(__name__)


def secret_digest(secret):
    """A short digest of a link's token, for an email's key: keys are stored and logged."""
    return hashlib.sha256(secret.encode()).hexdigest()[:32]


def absolute_url(path):
    """A link for an email or a feed: SITE_URL plus the path."""
    return f"{settings.SITE_URL}{path}"


# What a sent email that held a one-time link keeps of its text.
ONE_TIME_LINK_SENT = (
    "This email held a link that works once; its text was removed once it was sent."
)


def email_enqueue(*, key, to, subject, template, context=None, question=None, one_time_link=False):
    """
    Send ``templates/emails/<template>.txt`` to ``to`` once the transaction commits.

    ``key`` names the email uniquely (e.g. ``column-published:12:expert:5``): a second enqueue
    with the same key is a no-op at send time. The email is rendered now and stored on its
    ``Dispatch`` row, in the caller's transaction (a rolled-back change leaves no email); the
    task is given the row's id only, so the task queue never holds an address or a text.
    ``question`` ties a reader's email to their question, so that erasing the question
    erases its emails. ``one_time_link``: the text holds a link that works once (a password to
    set, a subscription to confirm); the row keeps it only until it is sent, and ``key`` must not
    hold the link's token (use ``secret_digest``), since keys are logged.
    """
    if not to:
        return None
    from .tasks import send_email

    # A subject is one header line: a title with a line break in it would make every try fail.
    subject = " ".join(subject.split())[:300]
    body = render_to_string(f"emails/{template}.txt", context or {})
    # Two queries whether the key is new or not (an INSERT that yields to an existing row).
    Dispatch.objects.bulk_create(
        [
            Dispatch(
                key=key,
                to=to,
                subject=subject,
                body=body,
                question=question,
                one_time_link=one_time_link,
            )
        ],
        ignore_conflicts=True,
    )
    dispatch = Dispatch.objects.only("pk", "sent_at").get(key=key)
    if dispatch.sent_at is None:
        transaction.on_commit(lambda: send_email.enqueue(dispatch_id=dispatch.pk))
    return dispatch


def retry_delay(attempts):
    """How long to wait after the ``attempts``-th failure: 1, 2, 4, 8 … times the base."""
    return timedelta(seconds=settings.EMAIL_RETRY_SECONDS * 2 ** max(attempts - 1, 0))


# Outcomes of ``dispatch_claim`` that send nothing.
ALREADY_SENT = "already sent"
BEING_SENT = "being sent"
GAVE_UP = "gave up"
UNCERTAIN = "uncertain: not sent again"
NO_SUCH_EMAIL = "no such email"
ERASED = "erased before it went out"

UNCERTAIN_NOTE = (
    "The sender stopped while handing this email to the mail server, and never recorded the "
    "outcome: the server may have accepted it. It is not sent again (at most once); look for "
    "its Message-ID at the provider before sending it by hand."
)


def sending_lease():
    """How long a hand-over may take before its row counts as left behind by a dead sender."""
    return timedelta(seconds=settings.EMAIL_SENDING_LEASE_SECONDS)


def dispatch_claim(pk, *, now=None):
    """
    Step 1 of a send, in its own transaction: lock the row and decide. Returns ``(dispatch,
    None)`` when the caller is to send it, having committed ``sending_at`` (and a next try
    after the lease, so that ``emails_retry`` comes back to a row whose sender died); else
    ``(None, outcome)``.

    A row still marked as being handed over after the lease was left by a sender that died
    between the hand-over and recording its outcome. It is resolved here, explicitly: it may
    have gone out, so it is never sent again. The row keeps ``sending_at``, loses its next try,
    and says so in ``last_error``; an error is logged for whoever watches the logs.
    """
    now = now or timezone.now()
    with transaction.atomic():
        dispatch = Dispatch.objects.select_for_update().filter(pk=pk).first()
        if dispatch is None:
            return None, NO_SUCH_EMAIL
        if dispatch.sent_at is not None:
            return None, ALREADY_SENT
        if not dispatch.to:
            # Erased before it went out (its question deleted): nothing to send, never again.
            if dispatch.retry_at is not None:
                dispatch.retry_at = None
                dispatch.save(update_fields=["retry_at"])
            return None, ERASED
        if dispatch.sending_at is not None:
            if dispatch.retry_at is None:
                return None, UNCERTAIN
            if now < dispatch.sending_at + sending_lease():
                return None, BEING_SENT
            dispatch.retry_at = None
            dispatch.last_error = UNCERTAIN_NOTE
            dispatch.save(update_fields=["retry_at", "last_error"])
            logger.error(
                "Email %s (row %s) was being handed over since %s when its sender stopped; "
                "not sent again (at most once). Message-ID %s",
                dispatch.key,
                dispatch.pk,
                dispatch.sending_at.isoformat(),
                message_id(dispatch.key),
            )
            return None, UNCERTAIN
        if dispatch.attempts and dispatch.retry_at is None:
            return None, GAVE_UP
        dispatch.attempts += 1
        dispatch.sending_at = now
        dispatch.retry_at = now + sending_lease()
        dispatch.save(update_fields=["attempts", "sending_at", "retry_at"])
        return dispatch, None


def dispatch_send(dispatch):
    """
    Steps 2 and 3, outside any transaction: hand the claimed email to the mail server, then
    record the outcome in a transaction of its own.

    A failure (SMTP down, refused, timed out) is recorded on the row, with when to try next, and
    never raised: the request or task that asked for the email carries on. After
    EMAIL_MAX_ATTEMPTS failures the row gives up, with no next try, and an error is logged.
    Returns True when the email went out.
    """
    message = automated_message(
        key=dispatch.key, to=dispatch.to, subject=dispatch.subject, body=dispatch.body
    )
    try:
        message.send()
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
        dispatch.sending_at = None
        Dispatch.objects.filter(pk=dispatch.pk).update(
            sending_at=None, last_error=dispatch.last_error, retry_at=dispatch.retry_at
        )
        return False
    dispatch.sent_at, dispatch.sending_at, dispatch.retry_at = timezone.now(), None, None
    sent = {"sent_at": dispatch.sent_at, "sending_at": None, "retry_at": None}
    if dispatch.one_time_link:
        sent["body"] = dispatch.body = ONE_TIME_LINK_SENT
    Dispatch.objects.filter(pk=dispatch.pk).update(**sent)
    return True


def dispatch_deliver(pk):
    """Claim and send one email: True sent, False failed (a next try is set), else None."""
    dispatch, _outcome = dispatch_claim(pk)
    if dispatch is None:
        return None
    return dispatch_send(dispatch)


def dispatches_due(now=None):
    """Unsent emails whose next try has come (the rows ``retry_emails`` works through)."""
    now = now or timezone.now()
    return Dispatch.objects.filter(sent_at__isnull=True, retry_at__lte=now).order_by("retry_at")


def dispatch_retry(pk):
    """Try one due email again: claimed first, so that two runners never both send it."""
    return dispatch_deliver(pk)


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
