"""
The newsletter's records. A ``Subscriber`` is one address with its topics and consent; a
``NewsletterSend`` is one column's send, rendered once; a ``Delivery`` is that column for one
subscriber, and exists at most once per pair, which is what makes a send never double.
"""

import secrets

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The token in the links of an editor's test email: shorter than any subscriber's, so it is no
# one's, and the preferences and unsubscribe pages say what it is.
TEST_TOKEN = "test"  # noqa: S105 - a public marker, not a secret


def new_subscriber_token():
    """192 random bits, URL-safe: the key to a subscriber's preferences and unsubscribe links."""
    return secrets.token_urlsafe(24)


def _status_check(field, choices):
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": choices.values}),
        name="%(app_label)s_%(class)s_" + f"{field}_valid",
    )


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", _("pending (not confirmed)")
    CONFIRMED = "confirmed", _("confirmed")
    UNSUBSCRIBED = "unsubscribed", _("unsubscribed")
    SUPPRESSED = "suppressed", _("suppressed (bounced or complained)")


class SubscriberSource(models.TextChoices):
    NEWSLETTER_FORM = "newsletter", _("the newsletter form")
    ASK_FORM = "ask", _("the question form")
    IMPORT = "import", _("an imported list")


class Subscriber(models.Model):
    Status = SubscriberStatus
    Source = SubscriberSource

    email = models.EmailField(_("email"), max_length=254, unique=True)
    topics = models.ManyToManyField(
        "qa.Category",
        blank=True,
        related_name="+",
        verbose_name=_("topics"),
        help_text=_("Empty: every column."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    token = models.CharField(
        max_length=64, unique=True, default=new_subscriber_token, editable=False
    )
    source = models.CharField(
        _("asked from"), max_length=20, choices=Source.choices, default=Source.NEWSLETTER_FORM
    )
    requested_at = models.DateTimeField(_("asked"), default=timezone.now)
    # The one-time confirmation link: only a digest of its token is kept, and it is emptied
    # once used. ``confirm_sent_at`` also holds the one-confirmation-a-day rule.
    confirm_digest = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    confirm_sent_at = models.DateTimeField(
        _("confirmation sent"), null=True, blank=True, editable=False
    )
    consented_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    consent_source = models.CharField(
        _("consent given through"), max_length=20, choices=Source.choices, blank=True
    )
    # A keyed hash of the address that confirmed (qa.ratelimit.sender_hash), never the address.
    consent_sender_hash = models.CharField(max_length=64, blank=True, editable=False)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    suppressed_at = models.DateTimeField(_("suppressed"), null=True, blank=True)
    suppressed_reason = models.CharField(_("why suppressed"), max_length=200, blank=True)
    rejections = models.PositiveIntegerField(
        _("SMTP rejections"), default=0, help_text=_("In a row; reset by a delivery.")
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        indexes = [models.Index(fields=["status", "id"], name="qa_subscriber_status_idx")]
        constraints = [
            _status_check("status", SubscriberStatus),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(consented_at__isnull=False),
                name="qa_subscriber_confirmed_has_consent",
            ),
        ]
        permissions = [("view_subscriber_email", "Can see subscribers' email addresses")]

    def __str__(self):
        return f"Subscriber {self.pk} ({self.get_status_display()})"


class SendStatus(models.TextChoices):
    SENDING = "sending", _("sending")
    STOPPED = "stopped", _("stopped (the column was unpublished)")
    DONE = "done", _("done")


class NewsletterSend(models.Model):
    """
    One column's send. The email is rendered once, when the send starts, with a placeholder for
    each link that differs per subscriber.
    """

    Status = SendStatus

    column = models.OneToOneField(
        "qa.Column",
        on_delete=models.CASCADE,
        related_name="newsletter_send",
        verbose_name=_("column"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SENDING
    )
    subject = models.CharField(_("subject"), max_length=300)
    html = models.TextField(editable=False)
    text = models.TextField(editable=False)
    placeholder = models.CharField(max_length=32, editable=False)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress"), default=timezone.now)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("newsletter send")
        verbose_name_plural = _("newsletter sends")
        constraints = [_status_check("status", SendStatus)]

    def __str__(self):
        return f"Newsletter: {self.subject}"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    CLAIMED = "claimed", _("in a batch")
    SENDING = "sending", _("being handed over")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    SKIPPED = "skipped", _("not sent: unsubscribed or suppressed")
    UNKNOWN = "unknown", _("interrupted while handed over: not sent again")
    STOPPED = "stopped", _("not sent: the column was unpublished")


class Delivery(models.Model):
    """
    One column for one subscriber. Unique per (send, subscriber); its status moves to
    ``sending`` and is committed before the email is handed over, so no run ever hands it over
    a second time.
    """

    Status = DeliveryStatus

    send = models.ForeignKey(NewsletterSend, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [models.Index(fields=["send", "status", "id"], name="qa_delivery_send_idx")]
        constraints = [
            _status_check("status", DeliveryStatus),
            models.UniqueConstraint(
                fields=["send", "subscriber"], name="qa_delivery_once_per_subscriber"
            ),
        ]

    def __str__(self):
        return f"Delivery {self.pk} ({self.status})"
