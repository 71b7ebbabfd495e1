"""Background work, run by ``django.tasks`` (inline in development, ``db_worker`` in production)."""

from django.tasks import task
from django.template.loader import render_to_string

from .emails import dispatch_claim, dispatch_send
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
    dispatch, _created = Dispatch.objects.get_or_create(
        key=key, defaults={"to": to, "subject": subject[:300], "body": body}
    )
    # Claimed and committed before the hand-over; the outcome committed after (qa/emails.py).
    dispatch, outcome = dispatch_claim(dispatch.pk)
    if dispatch is None:
        return outcome
    if dispatch_send(dispatch):
        return "sent"
    if dispatch.retry_at is None:
        return "gave up"
    if send_email.get_backend().supports_defer:
        send_email.using(run_after=dispatch.retry_at).enqueue(
            key=key, to=to, subject=subject, template=template, context=context
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
