"""
Bounces and complaints reported by the mail provider, through django-anymail's tracking
webhook (Mailgun's, at /anymail/mailgun/tracking/; anymail checks its signature before any
event reaches us). A hard bounce, a complaint or a provider's rejection suppresses the address.
"""

import logging

logger = logging.getLogger(__name__)

SUPPRESSING_EVENTS = {"bounced", "complained", "rejected"}


def tracking_received(sender, event, esp_name, **kwargs):
    from .services import subscriber_suppress

    if event.event_type not in SUPPRESSING_EVENTS or not event.recipient:
        return
    reason = f"{esp_name} reported {event.event_type}"
    if event.reject_reason:
        reason += f" ({event.reject_reason})"
    subscriber_suppress(email=event.recipient, reason=reason)


def connect():
    from anymail.signals import tracking

    tracking.connect(tracking_received, dispatch_uid="qa.newsletter.tracking")
