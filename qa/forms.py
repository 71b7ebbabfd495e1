"""The reader's question form. Its field names are a contract: other sites post to it."""

import hashlib
import logging
import time

from django import forms
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from .models import Category

STARTED_SALT = "qa.forms.AskForm.started"
# A form's timestamp is good for one send, and for this long.
STARTED_MAX_AGE_SECONDS = 24 * 60 * 60

logger = logging.getLogger(__name__)


def started_token(at=None):
    """A signed record of when the form was drawn, so a send can prove it took a human while."""
    return signing.dumps(time.time() if at is None else at, salt=STARTED_SALT)


def seconds_since(token):
    """Seconds since ``started_token`` was made, or ``None`` if it is missing or forged."""
    try:
        started = signing.loads(token or "", salt=STARTED_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(started, int | float) or isinstance(started, bool):
        return None
    return time.time() - started


def started_token_spend(token):
    """
    Mark a form's timestamp as used; True the first time, False if a send already used it.
    Kept in the cache, under a digest of the token, for as long as a timestamp is good. When
    the cache is down, every timestamp counts as fresh (the other checks still hold).
    """
    digest = hashlib.sha256((token or "").encode()).hexdigest()[:40]
    key = f"ask-started:{digest}"
    if cache.add(key, 1, timeout=STARTED_MAX_AGE_SECONDS):
        return True
    if cache.get(key) is None:
        logger.warning("A form timestamp could not be recorded as used: the cache is down.")
        return True
    return False


class SpamCheckedForm(forms.Form):
    """
    A public form's spam checks: a hidden field only bots fill, and a signed timestamp of when
    the form was drawn. Neither is ever an error: a send that fails one is treated as spam
    (a question stored as spam, a subscription that sends nothing).
    """

    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["started"] = started_token()

    def spam_reason(self):
        """
        Why a valid send looks automated, or ``""``. Call after ``is_valid()``, once per send:
        it spends the form's timestamp, so the next send with the same one is spam.
        """
        return spam_reason(self.cleaned_data)


class AskForm(SpamCheckedForm):
    body = forms.CharField(
        label=_("Your question"),
        min_length=30,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": 3000}),
        help_text=_("30 to 3,000 characters. Plain text; it is published as you write it."),
        error_messages={
            "required": _("Your question is empty: please write it here."),
            "min_length": _(
                "Your question is too short: write at least %(limit_value)d characters "
                "(it has %(show_value)d)."
            ),
            "max_length": _(
                "Your question is too long: keep it to %(limit_value)d characters "
                "(it has %(show_value)d)."
            ),
            "null_characters_not_allowed": _("Your question contains a NUL character."),
        },
    )
    category = forms.ModelChoiceField(
        label=_("Topic"),
        queryset=Category.objects.all(),
        empty_label=_("Choose a topic"),
        error_messages={
            "required": _("Topic: please choose one."),
            "invalid_choice": _("Topic: that is not one of the topics; please choose again."),
        },
    )
    signature = forms.CharField(
        label=_("Signature"),
        required=False,
        max_length=60,
        help_text=_(
            'How your question is signed when published, e.g. "D" or "Worried in Ohio". '
            "Leave it empty to sign with the first letter of your name."
        ),
        error_messages={
            "max_length": _("Signature: keep it to %(limit_value)d characters."),
            "null_characters_not_allowed": _("Signature: it contains a NUL character."),
        },
    )
    name = forms.CharField(
        label=_("Your name"),
        required=False,
        max_length=120,
        help_text=_("Private: only our editors see it."),
        error_messages={
            "max_length": _("Your name: keep it to %(limit_value)d characters."),
            "null_characters_not_allowed": _("Your name: it contains a NUL character."),
        },
    )
    email = forms.EmailField(
        label=_("Your email"),
        required=False,
        max_length=254,
        help_text=_("Private. With it, we tell you when your question is picked and published."),
        error_messages={
            "invalid": _("Your email: that does not look like an email address."),
            "max_length": _("Your email: keep it to %(limit_value)d characters."),
            "null_characters_not_allowed": _("Your email: it contains a NUL character."),
        },
    )
    consent = forms.BooleanField(
        label=_("Publish my question, signed only with my signature."),
        error_messages={
            "required": _("Consent: tick the box so that we may publish your question."),
        },
    )
    newsletter = forms.BooleanField(
        label=_("Email me new columns"),
        required=False,
        help_text=_("We send a link to confirm first. One click in any email stops them."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("newsletter") and not cleaned.get("email") and "email" not in self.errors:
            self.add_error(
                "email",
                forms.ValidationError(
                    _("Your email: we need it to send you new columns (or untick the box)."),
                    code="required_for_newsletter",
                ),
            )
        return cleaned


def spam_reason(cleaned_data):
    """
    Why a valid send of a public form (with ``website`` and ``started`` fields) looks
    automated, or ``""``. Call once per send: it spends the form's timestamp.
    """
    if cleaned_data.get("website"):
        return "filled the hidden website field"
    elapsed = seconds_since(cleaned_data.get("started"))
    if elapsed is None:
        return "no valid form timestamp"
    if elapsed < settings.ASK_MIN_SECONDS:
        return f"sent {max(elapsed, 0):.1f}s after the form was drawn"
    if elapsed > STARTED_MAX_AGE_SECONDS:
        return "form timestamp older than a day"
    if not started_token_spend(cleaned_data["started"]):
        return "form timestamp already used by another send"
    return ""
