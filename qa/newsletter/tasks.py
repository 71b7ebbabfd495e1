"""The newsletter's worker jobs. Their arguments are ids: what to send is read from the rows."""

from django.tasks import task


@task()
def newsletter_send_start(*, column_id):
    """Start the send of a column just published (see ``sending.send_start``)."""
    from .sending import send_start

    send = send_start(column_id=column_id)
    return None if send is None else send.pk


@task()
def newsletter_send_run(*, send_id):
    """One run of a send: batches for NEWSLETTER_TASK_SECONDS, then its continuation."""
    from .sending import send_run

    return send_run(send_id=send_id)


@task()
def newsletter_test_send(*, column_id, user_id):
    """The column's email to the editor who asked, before it goes to anyone else."""
    from .sending import test_send

    return test_send(column_id=column_id, user_id=user_id)
