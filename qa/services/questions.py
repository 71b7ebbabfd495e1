"""A reader's question: sent, kept once, sorted by the editor, erased by its reader."""

import datetime
import logging
import secrets
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..cache import add_or_raise, get_or_raise
from ..emails import absolute_url, email_enqueue
from ..models import Question, body_fingerprint, new_status_token
from .errors import TransitionNotAllowed
from .history import transition_record

Status = Question.Status

# Two identical sends at the same instant wait for each other on a lock in the cache, so the
# second one finds the first. The lock outlives any submit transaction; a send that cannot get
# it within the wait goes ahead anyway: a rare duplicate is better than a lost question.
SUBMIT_LOCK_SECONDS = 10
SUBMIT_LOCK_POLLS = 60
SUBMIT_LOCK_POLL_SECONDS = 0.05

logger = logging.getLogger(__name__)


class QuestionTransitionError(TransitionNotAllowed):
    """A status change the question's current status does not allow."""


def default_signature(name):
    """The first letter of the reader's name, as the column signs it ("D")."""
    return next((char.upper() for char in name or "" if char.isalpha()), "")


def question_duplicate_of(*, body, email, sender_hash, now=None):
    """
    The reader's earlier question with the same text (ignoring case and white space), sent from
    the same email or address within ``ASK_DUPLICATE_HOURS``; ``None`` if there is none.
    """
    now = now or timezone.now()
    same_sender = Q(sender_hash=sender_hash) if sender_hash else Q(pk__in=[])
    if email:
        same_sender |= Q(email__iexact=email)
    return (
        Question.objects.filter(
            same_sender,
            fingerprint=body_fingerprint(body),
            created_at__gte=now - datetime.timedelta(hours=settings.ASK_DUPLICATE_HOURS),
        )
        .exclude(status=Status.WITHDRAWN)
        .order_by("created_at", "pk")
        .first()
    )


def _confirmation_enqueue(question):
    email_enqueue(
        key=f"question-received:{question.pk}",
        question=question,
        to=question.email,
        subject="We have your question",
        template="question_received",
        context={
            "body": question.body,
            "signature": question.signature,
            "category": question.category.name,
            "status_url": absolute_url(question.get_status_url()),
        },
    )


_this_thread = threading.local()


def _lock_owner():
    """
    This thread's mark on the locks it takes. One thread is one database connection, so a lock
    it already holds guards a transaction that sees its own rows (or one that rolled back and
    saved nothing): it need not wait for itself.
    """
    if not hasattr(_this_thread, "mark"):
        _this_thread.mark = secrets.token_hex(16)
    return _this_thread.mark


def question_submit_lock(fingerprint):
    """
    Take the lock on a question text for this connection's transaction; returns a function
    that lets it go. Waits while another process holds it; if that takes too long, the send
    goes ahead unlocked with a logged warning. If the cache cannot be reached, it goes ahead
    at once, with one warning: there is no lock to wait for.
    """
    key = f"question-submit:{fingerprint}"
    owner = _lock_owner()
    try:
        for _poll in range(SUBMIT_LOCK_POLLS):
            taken = add_or_raise(cache, key, owner, SUBMIT_LOCK_SECONDS)
            if taken or get_or_raise(cache, key) == owner:
                break
            time.sleep(SUBMIT_LOCK_POLL_SECONDS)
        else:
            logger.warning("A question went ahead without its duplicate lock: still held.")
            return lambda: None
    except Exception as error:
        logger.warning("A question went ahead without its duplicate lock (cache: %s).", error)
        return lambda: None

    def release():
        try:
            if cache.get(key) == owner:
                cache.delete(key)
        except Exception:
            logger.warning("A duplicate lock was left to expire.", exc_info=True)

    return release


def question_submit(
    *, body, category, signature="", name="", email="", sender_hash="", spam_reason="", by=None
):
    """
    Keep a reader's question; returns ``(question, created)``.

    A repeat of the same reader's recent question is not saved again: the first one is
    returned with ``created`` false. Identical sends racing in several processes are kept once
    too: each holds ``question_submit_lock`` until its question is committed. A question that
    failed a spam check (``spam_reason``) is stored as spam, never dropped, and gets no email
    until an editor restores it.
    """
    release = question_submit_lock(body_fingerprint(body))
    try:
        with transaction.atomic():
            # Let go once the question is visible to the other processes.
            transaction.on_commit(release)
            return _submit(
                body=body,
                category=category,
                signature=signature,
                name=name,
                email=email,
                sender_hash=sender_hash,
                spam_reason=spam_reason,
                by=by,
            )
    except BaseException:
        release()
        raise


def _submit(*, body, category, signature, name, email, sender_hash, spam_reason, by):
    earlier = question_duplicate_of(body=body, email=email, sender_hash=sender_hash)
    if earlier is not None:
        return earlier, False
    question = Question.objects.create(
        body=body,
        category=category,
        signature=signature or default_signature(name),
        name=name,
        email=email,
        sender_hash=sender_hash,
        status=Status.SPAM if spam_reason else Status.NEW,
        spam_reason=spam_reason[:200],
    )
    transition_record(
        action="question_submit",
        by=by,
        question=question,
        to_status=question.status,
        note=spam_reason and f"Held as spam: {spam_reason}",
    )
    if question.status == Status.NEW:
        _confirmation_enqueue(question)
    return question, True


def _locked(question):
    return Question.objects.select_for_update().select_related("category").get(pk=question.pk)


def _change(*, question, to, allowed, action, by, note=""):
    locked = _locked(question)
    if locked.status not in allowed:
        names = " or ".join(str(Status(status).label) for status in allowed)
        raise QuestionTransitionError(
            f"“{locked}” is {locked.get_status_display()}; only {names} questions can be {action}."
        )
    from_status = locked.status
    locked.status = to
    if from_status == Status.SPAM:
        locked.spam_reason = ""
    locked.save(update_fields=["status", "spam_reason", "updated_at"])
    transition_record(
        action=f"question_{action.replace(' ', '_')}",
        by=by,
        question=locked,
        from_status=from_status,
        to_status=to,
        note=note,
    )
    return locked


@transaction.atomic
def question_shortlist(*, question, by):
    """Keep a new (or a declined) question in mind for a coming week."""
    return _change(
        question=question,
        to=Status.SHORTLISTED,
        allowed=[Status.NEW, Status.DECLINED],
        action="shortlisted",
        by=by,
    )


@transaction.atomic
def question_decline(*, question, by):
    """Not this time. The reader's status link says "Not picked this time"."""
    return _change(
        question=question,
        to=Status.DECLINED,
        allowed=[Status.NEW, Status.SHORTLISTED],
        action="declined",
        by=by,
    )


@transaction.atomic
def question_spam_mark(*, question, by, reason="marked by an editor"):
    """Out of the queue, kept: ``question_spam_restore`` brings it back."""
    locked = _change(
        question=question,
        to=Status.SPAM,
        allowed=[Status.NEW, Status.SHORTLISTED, Status.DECLINED],
        action="marked as spam",
        by=by,
    )
    locked.spam_reason = reason[:200]
    locked.save(update_fields=["spam_reason", "updated_at"])
    return locked


@transaction.atomic
def question_spam_restore(*, question, by):
    """
    A real question caught as spam goes back into the queue as new, and its reader gets the
    confirmation that was held back (once, however often it is restored).
    """
    locked = _change(
        question=question,
        to=Status.NEW,
        allowed=[Status.SPAM],
        action="restored from spam",
        by=by,
    )
    _confirmation_enqueue(locked)
    return locked


@transaction.atomic
def question_erase(*, question, by=None, reason="", withdraw=True):
    """
    Erase a question everywhere the platform wrote it (``qa.privacy``): the reader's name,
    email and address digest go, and the text and signature too unless the question was
    picked (a column is built on it, and what was published stays). Its emails lose their
    address and text, the admin's log its excerpt, the cache its words. The status link stops
    working: the token is replaced by one nobody holds.

    ``withdraw`` (the reader's or an editor's erasure) takes the question out of the queue as
    withdrawn; the retention job keeps its status (spam, declined). ``reason`` goes in the
    history; by default, who erased it.
    """
    from ..privacy import question_traces_erase

    locked = _locked(question)
    if locked.erased_at is not None:
        raise QuestionTransitionError("This question was already deleted.")
    from_status = locked.status
    picked = locked.status == Status.PICKED
    question_traces_erase(locked, fingerprint=locked.fingerprint)
    locked.name = ""
    locked.email = ""
    locked.sender_hash = ""
    locked.token = new_status_token()
    locked.erased_at = timezone.now()
    if not picked:
        locked.body = ""
        locked.signature = ""
        if withdraw:
            locked.status = Status.WITHDRAWN
    locked.save()
    if not reason:
        reason = "Erased by its reader." if by is None else "Erased by an editor."
    transition_record(
        action="question_erase",
        by=by,
        question=locked,
        from_status=from_status,
        to_status=locked.status,
        note=reason,
    )
    return locked
