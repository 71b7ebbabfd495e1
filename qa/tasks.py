"""Background work, run by ``django.tasks`` (inline in development, ``db_worker`` in production)."""

from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string

from .emails import dispatch_attempt
from .models import Dispatch


@task()
def send_email(*, key, to, subject, template, context):
    """
    Render and send one email, unless an email with this key was already sent.

    When sending fails, the row records the attempt; on a backend that can defer, this task
    queues itself again for the row's next try. (The immediate backend cannot wait, so there
    ``manage.py retry_emails`` sends it later.) Either way the caller never sees the failure.
    """
    body = render_to_string(f"emails/{template}.txt", context)
    # A subject is one header line: a title with a line break in it would make every try fail.
    subject = " ".join(subject.split())
    with transaction.atomic():
        dispatch, _created = Dispatch.objects.select_for_update().get_or_create(
            key=key, defaults={"to": to, "subject": subject[:300], "body": body}
        )
        if dispatch.sent_at is not None:
            return "already sent"
        if dispatch_attempt(dispatch):
            return "sent"
        if dispatch.retry_at is None:
            return "gave up"
        if send_email.get_backend().supports_defer:
            retry = send_email.using(run_after=dispatch.retry_at)
            transaction.on_commit(
                lambda: retry.enqueue(
                    key=key, to=to, subject=subject, template=template, context=context
                )
            )
            return "retry queued"
        return "retry left to retry_emails"


@task()
def share_image_refresh(*, column_id):
    """Draw a published column's share image now, if what it shows has changed."""
    from . import images, selectors
    from .models import Column

    column = Column.objects.published().select_related("category").filter(pk=column_id).first()
    if column is None:
        return None
    return images.share_image_ensure(column, selectors.column_answers(column))
