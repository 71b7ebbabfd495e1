"""
The subscriber's transitions. Each is a keyword-only function that checks, saves and queues
its email after the commit, like the column's (``qa.services``).

Double opt-in: ``subscriber_request`` records the wish and emails a one-time link;
``subscriber_confirm`` (the link, followed) is the consent. Until then nothing else is sent.
The same address gets at most one confirmation email in NEWSLETTER_CONFIRM_INTERVAL_HOURS,
whoever asks, so the form cannot flood an inbox.
"""

import datetime
import hashlib
import logging
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ..emails import absolute_url, email_enqueue
from ..models import Publication
from .models import Subscriber

logger = logging.getLogger(__name__)

Status = Subscriber.Status


class NewsletterLinkError(Exception):
    """A confirmation link that is unknown, used or expired; ``code`` says which."""

    def __init__(self, message, *, code):
        super().__init__(message)
        self.code = code


def email_normalise(email):
    """One subscriber per mailbox, whatever the case it was typed in."""
    return (email or "").strip().lower()


def token_digest(token):
    return hashlib.sha256((token or "").encode("utf-8", "surrogatepass")).hexdigest()


def preferences_url(subscriber_token):
    return absolute_url(reverse("newsletter:preferences", kwargs={"token": subscriber_token}))


def unsubscribe_url(subscriber_token):
    return absolute_url(reverse("newsletter:unsubscribe", kwargs={"token": subscriber_token}))


def _confirmation_due(subscriber, now):
    interval = datetime.timedelta(hours=settings.NEWSLETTER_CONFIRM_INTERVAL_HOURS)
    return subscriber.confirm_sent_at is None or subscriber.confirm_sent_at <= now - interval


def subscriber_request(*, email, topics=(), source, sender_hash=""):
    """
    A reader asks for the newsletter. Returns what was done, one of:

    - ``"confirmation sent"``: a confirmation email is queued;
    - ``"confirmation already sent"``: one went out within the interval; nothing is sent;
    - ``"already subscribed"``: the address is confirmed; nothing changes, nothing is sent;
    - ``"suppressed"``: the address bounced or complained; nothing is sent.

    The reader is told the same in every case, so the form reveals nobody's subscription.
    """
    email = email_normalise(email)
    now = timezone.now()
    topics = list(topics)
    with transaction.atomic():
        try:
            with transaction.atomic():
                subscriber, created = Subscriber.objects.select_for_update().get_or_create(
                    email=email, defaults={"source": source, "requested_at": now}
                )
        except IntegrityError:  # created at the same instant by another request
            subscriber = Subscriber.objects.select_for_update().get(email=email)
            created = False
        if subscriber.status == Status.CONFIRMED:
            return "already subscribed"
        if subscriber.status == Status.SUPPRESSED:
            return "suppressed"
        if not created and not _confirmation_due(subscriber, now):
            return "confirmation already sent"
        token = secrets.token_urlsafe(24)
        subscriber.confirm_digest = token_digest(token)
        subscriber.confirm_sent_at = now
        subscriber.requested_at = now
        subscriber.source = source
        subscriber.save()
        subscriber.topics.set(topics)
        confirmation_email(subscriber, token)
    return "confirmation sent"


def confirmation_email(subscriber, token):
    publication = Publication.current()
    hours = settings.NEWSLETTER_CONFIRM_HOURS
    email_enqueue(
        key=f"newsletter-confirm:{subscriber.pk}:{subscriber.confirm_sent_at.timestamp():.6f}",
        to=subscriber.email,
        subject=f"Confirm your subscription to {publication.name}",
        template="newsletter_confirm",
        context={
            "publication": publication.name,
            "confirm_url": absolute_url(reverse("newsletter:confirm", kwargs={"token": token})),
            "hours": hours,
        },
        one_time_link=True,
    )


def subscriber_by_confirm_token(token):
    """The pending subscriber a confirmation link belongs to; raises NewsletterLinkError."""
    subscriber = Subscriber.objects.filter(confirm_digest=token_digest(token)).first()
    if subscriber is None or not token:
        raise NewsletterLinkError(
            "This confirmation link is not valid, or it has already been used.", code="unknown"
        )
    limit = datetime.timedelta(hours=settings.NEWSLETTER_CONFIRM_HOURS)
    if subscriber.confirm_sent_at is None or subscriber.confirm_sent_at <= timezone.now() - limit:
        raise NewsletterLinkError(
            "This confirmation link has expired. Ask again and we will send a new one.",
            code="expired",
        )
    return subscriber


def subscriber_confirm(*, token, sender_hash=""):
    """
    The reader followed the link: the consent. The link works once, and only within
    NEWSLETTER_CONFIRM_HOURS of being sent.
    """
    with transaction.atomic():
        subscriber = subscriber_by_confirm_token(token)
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.confirm_digest != token_digest(token):  # used meanwhile
            raise NewsletterLinkError(
                "This confirmation link has already been used.", code="unknown"
            )
        subscriber.status = Status.CONFIRMED
        subscriber.consented_at = timezone.now()
        subscriber.consent_source = subscriber.source
        subscriber.consent_sender_hash = sender_hash
        subscriber.confirm_digest = ""
        subscriber.unsubscribed_at = None
        subscriber.rejections = 0
        subscriber.save()
    return subscriber


def subscriber_topics_set(*, subscriber, topics):
    """The reader's topics, from the preferences page; none means every column."""
    with transaction.atomic():
        subscriber.topics.set(list(topics))
        subscriber.save(update_fields=["updated_at"])
    return subscriber


def subscriber_unsubscribe(*, subscriber):
    """Stop sending. Idempotent; a suppressed address stays suppressed."""
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if subscriber.status in {Status.PENDING, Status.CONFIRMED}:
            subscriber.status = Status.UNSUBSCRIBED
            subscriber.unsubscribed_at = timezone.now()
            subscriber.confirm_digest = ""
            subscriber.save()
    return subscriber


def subscriber_erase(*, subscriber):
    """
    Delete the subscription and everything that names the address: the row, and the stored
    confirmation emails. Deliveries already made are kept as counts, with no subscriber.
    """
    from ..models import Dispatch

    with transaction.atomic():
        Dispatch.objects.filter(key__startswith=f"newsletter-confirm:{subscriber.pk}:").delete()
        Subscriber.objects.filter(pk=subscriber.pk).delete()


def subscriber_suppress(*, email, reason):
    """
    Stop every email to ``email`` (a bounce, a complaint, repeated rejections). Returns the
    subscriber, or None for an address we do not hold.
    """
    with transaction.atomic():
        subscriber = (
            Subscriber.objects.select_for_update().filter(email=email_normalise(email)).first()
        )
        if subscriber is None:
            return None
        if subscriber.status != Status.SUPPRESSED:
            subscriber.status = Status.SUPPRESSED
            subscriber.suppressed_at = timezone.now()
            subscriber.suppressed_reason = reason[:200]
            subscriber.confirm_digest = ""
            subscriber.save()
            logger.info("Newsletter: subscriber %s suppressed: %s", subscriber.pk, reason)
    return subscriber


def subscriber_rejected(*, subscriber_id, error):
    """
    The mail server refused the address for good (a 5xx). After
    NEWSLETTER_REJECTIONS_TO_SUPPRESS refusals in a row, the address is suppressed.
    """
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
        if subscriber is None:
            return None
        subscriber.rejections += 1
        subscriber.save(update_fields=["rejections", "updated_at"])
        if (
            subscriber.rejections >= settings.NEWSLETTER_REJECTIONS_TO_SUPPRESS
            and subscriber.status != Status.SUPPRESSED
        ):
            subscriber.status = Status.SUPPRESSED
            subscriber.suppressed_at = timezone.now()
            subscriber.suppressed_reason = (
                f"refused {subscriber.rejections} times by the mail server: {error}"
            )[:200]
            subscriber.save()
    return subscriber


def subscriber_import(*, email, consented_at=None, topics=()):
    """
    One row of an existing list. With a consent date the address is confirmed as of that date;
    without one it gets a confirmation email instead, like any new reader. Returns what was
    done (see ``subscriber_request``), or ``"imported"``.
    """
    if consented_at is None:
        return subscriber_request(email=email, topics=topics, source=Subscriber.Source.IMPORT)
    email = email_normalise(email)
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
        if subscriber is not None and subscriber.status != Status.PENDING:
            # An unsubscribe or a suppression here outranks an old list.
            return "already subscribed" if subscriber.status == Status.CONFIRMED else "kept"
        if subscriber is None:
            subscriber = Subscriber(email=email)
        subscriber.status = Status.CONFIRMED
        subscriber.source = Subscriber.Source.IMPORT
        subscriber.consent_source = Subscriber.Source.IMPORT
        subscriber.consented_at = consented_at
        subscriber.confirm_digest = ""
        subscriber.save()
        subscriber.topics.set(list(topics))
    return "imported"
