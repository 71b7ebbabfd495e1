"""
The one place an automated email is built, whatever sends it (the emails of the weekly cycle,
the newsletter): ``automated_message`` gives every one the same headers.

- ``Auto-Submitted: auto-generated`` (RFC 3834), so auto-responders and vacation replies
  leave it alone;
- a ``Message-ID`` derived from the email's key, on the site's domain: the same email always
  has the same Message-ID, so a duplicate delivery, should one ever happen, is plain to see
  (and mail systems that deduplicate by Message-ID drop it);
- ``Reply-To`` from the publication's settings (``Publication.reply_to``), else EDITOR_EMAIL;
- ``From``: DEFAULT_FROM_EMAIL, whose domain should be the one the provider signs for
  (docs/deploy.md, "The sender's domain").
"""

import hashlib
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives


def site_domain():
    """The host of SITE_URL: the domain of Message-IDs."""
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def message_id(key):
    """``<digest-of-key@site-domain>``: one Message-ID per email key, stable across tries."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    return f"<{digest}@{site_domain()}>"


def reply_to_address():
    from .models import Publication

    return Publication.current().reply_to or settings.EDITOR_EMAIL


def automated_message(
    *, key, to, subject, body, html=None, headers=None, from_email=None, reply_to=None
):
    """
    An email ready to ``send()``: plain text ``body`` (and an ``html`` alternative if given),
    to the one address ``to``, with the headers above. ``headers`` adds more (``List-Id``,
    ``List-Unsubscribe`` …); it cannot replace the ones set here. ``from_email`` and
    ``reply_to`` replace DEFAULT_FROM_EMAIL and the publication's reply-to (the newsletter has
    its own).
    """
    reply_to = reply_to or reply_to_address()
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=body,
        from_email=from_email,
        to=[to],
        reply_to=[reply_to] if reply_to else None,
        headers={
            **(headers or {}),
            "Message-ID": message_id(key),
            "Auto-Submitted": "auto-generated",
        },
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message
