"""Background work, run by ``django.tasks`` (inline in development, ``db_worker`` in production)."""

from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Dispatch


@task()
def send_email(*, key, to, subject, template, context):
    """Render and send one email, unless an email with this key was already sent."""
    with transaction.atomic():
        dispatch, _created = Dispatch.objects.select_for_update().get_or_create(
            key=key, defaults={"to": to, "subject": subject[:300]}
        )
        if dispatch.sent_at is not None:
            return "already sent"
        body = render_to_string(f"emails/{template}.txt", context)
        send_mail(subject, body, None, [to])
        dispatch.attempts += 1
        dispatch.sent_at = timezone.now()
        dispatch.save(update_fields=["attempts", "sent_at"])
    return "sent"


@task()
def publish_due():
    """Publish the scheduled columns whose time has come."""
    from .services import columns_publish_due

    return [column.pk for column in columns_publish_due()]


@task()
def remind_and_review():
    """Send the 48- and 24-hour reminders, then close the invitations that are done."""
    from .services import columns_review_due, reminders_send

    reminded = reminders_send()
    moved = columns_review_due()
    return {"reminded": len(reminded), "to_review": [column.pk for column in moved]}
