"""Background work, run by ``django.tasks`` (inline in development, ``db_worker`` in production)."""

from django.tasks import task

from .emails import dispatch_claim, dispatch_send


@task()
def send_email(*, dispatch_id):
    """
    Send the stored email ``dispatch_id``, unless it was already sent or erased.

    The task holds the row's id only: the address and the text live on the row, where erasure
    and the retention policy reach them. When sending fails, the row records the attempt; on a
    backend that can defer, this task queues itself again for the row's next try. (The
    immediate backend cannot wait, so there ``manage.py retry_emails`` sends it later.) Either
    way the caller never sees the failure.
    """
    # Claimed and committed before the hand-over; the outcome committed after (qa/emails.py).
    dispatch, outcome = dispatch_claim(dispatch_id)
    if dispatch is None:
        return outcome
    if dispatch_send(dispatch):
        return "sent"
    if dispatch.retry_at is None:
        return "gave up"
    if send_email.get_backend().supports_defer:
        send_email.using(run_after=dispatch.retry_at).enqueue(dispatch_id=dispatch_id)
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
