"""
What the platform keeps about a reader, for how long, and how it is erased everywhere.

A reader's question reaches: its row; its emails (``Dispatch``: address, subject, text); the
admin's change log (``LogEntry.object_repr`` is the question's first words); the cache (its
significant words under its fingerprint, and the queue's similar pool). Task rows hold only
ids (``qa.emails.email_enqueue``), and logs never print a reader's address or text.

``question_erase`` (``qa.services.questions``) calls ``question_traces_erase`` so that all of
these go with the question. ``retention_run`` is the periodic job that erases what is kept
past the periods in settings (``RETENTION_*``); ``docs/privacy.md`` lists them.
"""

import datetime
import logging

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import Dispatch, Question

logger = logging.getLogger(__name__)


def question_dispatches(question):
    """Every stored email about the question: tied to it, or keyed by it (older rows)."""
    keyed = Q(key__regex=rf"^(question-[a-z-]+:{question.pk}|column-published:\d+:reader)$")
    reader = Q(question=question) | (keyed & Q(to__iexact=question.email) & ~Q(to=""))
    return Dispatch.objects.filter(reader)


def question_traces_erase(question, *, fingerprint):
    """
    Erase what repeats the question outside its row; call inside the erasing transaction,
    with the row not yet blanked. ``fingerprint`` is the fingerprint of the text erased.
    """
    from . import similar

    # The emails: address, subject and text. The row stays, keyed, so it is never sent again.
    question_dispatches(question).update(
        to="", subject="", body="", last_error="", retry_at=None, question=question
    )
    # The admin's change log names a row by its first words.
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Question), object_id=str(question.pk)
    ).update(object_repr=f"Question {question.pk}", change_message="")
    # The cache, once the erasure is visible (so no process rebuilds from the old text).
    keys = similar.keys_holding(fingerprint)
    transaction.on_commit(lambda: cache.delete_many(keys))


def reader_data(question):
    """Everything the platform holds about one question and its reader, JSON-serialisable."""

    def when(value):
        return value.isoformat() if value else None

    return {
        "about": (
            "Everything the platform holds about the question sent from this private link: "
            "the question, its history and the emails sent about it."
        ),
        "question": {
            "text": question.body,
            "signature": question.signature,
            "name": question.name,
            "email": question.email,
            "topic": question.category.name,
            "status": question.get_status_display(),
            "sent": when(question.created_at),
            "last_changed": when(question.updated_at),
            "sender_address_digest": question.sender_hash,
        },
        "history": [
            {
                "when": when(entry.at),
                "what": entry.action,
                "from": entry.from_status,
                "to": entry.to_status,
            }
            for entry in question.transitions.order_by("at", "pk")
        ],
        "emails": [
            {
                "to": dispatch.to,
                "subject": dispatch.subject,
                "text": dispatch.body,
                "written": when(dispatch.created_at),
                "sent": when(dispatch.sent_at),
            }
            for dispatch in question_dispatches(question).order_by("created_at", "pk")
        ],
    }


def _days_ago(now, days):
    return now - datetime.timedelta(days=days)


def retention_run(now=None):
    """
    The periodic job: erase spam after RETENTION_SPAM_DAYS, declined questions after
    RETENTION_DECLINED_DAYS (counted from the last change), and the address and text of emails
    sent (or given up on) more than RETENTION_EMAIL_DAYS ago. Task results are pruned by
    ``task_results_prune`` (TASK_RESULTS_KEEP_DAYS). Returns what was erased, by kind.
    """
    from .services import question_erase

    now = now or timezone.now()
    Status = Question.Status
    due = Question.objects.filter(erased_at__isnull=True).filter(
        Q(status=Status.SPAM, created_at__lte=_days_ago(now, settings.RETENTION_SPAM_DAYS))
        | Q(
            status=Status.DECLINED,
            updated_at__lte=_days_ago(now, settings.RETENTION_DECLINED_DAYS),
        )
    )
    erased = {"spam": 0, "declined": 0}
    for question in due.only("pk", "status"):
        kind = question.status
        question_erase(
            question=question,
            withdraw=False,
            reason=f"Erased after the retention period for {kind} questions.",
        )
        erased[kind] += 1
    cutoff = _days_ago(now, settings.RETENTION_EMAIL_DAYS)
    erased["emails"] = (
        Dispatch.objects.filter(
            Q(sent_at__lte=cutoff)
            | Q(sent_at__isnull=True, retry_at__isnull=True, created_at__lte=cutoff)
        )
        .exclude(to="", body="")
        .update(to="", body="", last_error="")
    )
    if any(erased.values()):
        logger.info(
            "Retention: erased %d spam and %d declined questions, and %d emails' text",
            erased["spam"],
            erased["declined"],
            erased["emails"],
        )
    return erased
