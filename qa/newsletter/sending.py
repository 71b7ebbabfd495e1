"""
One column's send to its subscribers, run by the worker.

The protocol that makes it never double:

1. ``send_start`` renders the column once, stores it on the ``NewsletterSend``, and adds one
   ``Delivery`` per confirmed subscriber whose topics include the column, in one INSERT ... SELECT
   that skips pairs that exist (unique per send and subscriber). Starting twice adds nothing.
2. A run claims a batch of queued deliveries (``claimed``, under its own claim id; rows another
   run holds are skipped), opens one connection, and for each delivery in order:
   commits ``sending``, hands the email over, then commits ``sent`` (in the same transaction as
   the next delivery's ``sending``). A delivery that reached ``sending`` is never handed over
   again.
3. A run that dies (SIGKILL, a lost machine) leaves its batch ``claimed`` and at most one
   delivery ``sending``. Once its claim is older than NEWSLETTER_LEASE_SECONDS,
   ``sends_resume`` puts the claimed ones back in the queue and marks the one ``sending`` as
   ``unknown``: whether the server took it cannot be known, and it is not sent again.
4. Before each batch the run checks the column is still published: unpublishing stops the send,
   and what was not sent is marked ``stopped``.

Task arguments are ids; a run sends for at most NEWSLETTER_TASK_SECONDS and then queues its
continuation, so other tasks (other emails, the periodic tick) take their turn.
"""

import datetime
import logging
import re
import secrets
import select
import smtplib
import time
from contextlib import contextmanager

from django.conf import settings
from django.core import mail
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import OperationalError, transaction
from django.db import connection as db_connection
from django.db.models import Q
from django.utils import timezone

from ..models import Column
from .models import TEST_TOKEN, Delivery, NewsletterSend, Subscriber
from .render import Copies, column_email, envelope
from .services import subscriber_rejected
from .smtp import hand_over

logger = logging.getLogger(__name__)

D = Delivery.Status
PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9.-]{1,253}")
REMAINING = [D.QUEUED, D.CLAIMED, D.SENDING]


def audience(column):
    """Confirmed subscribers whose topics include ``column``'s category (no topics: all)."""
    from django.db.models import Exists, OuterRef

    topics = Subscriber.topics.through.objects.filter(subscriber_id=OuterRef("pk"))
    return Subscriber.objects.filter(status=Subscriber.Status.CONFIRMED).filter(
        ~Exists(topics) | Exists(topics.filter(category_id=column.category_id))
    )


def audience_count(column):
    return audience(column).count()


def newsletter_reach(column):
    """
    For the publish confirmation page: how many subscribers publishing ``column`` emails.
    Before its first send, the confirmed subscribers whose topics include it; published again,
    only those a stopped send had not reached yet.
    """
    send = NewsletterSend.objects.filter(column=column).first()
    if send is None:
        return audience_count(column)
    if send.status == NewsletterSend.Status.STOPPED:
        return send.deliveries.filter(status=D.STOPPED).count()
    return 0


def message_key(column_id, subscriber_id):
    return f"newsletter.{column_id}.{subscriber_id}"


def _deliveries_add(send):
    """One delivery per subscriber in the audience not already in the send: one statement."""
    subscribers = audience(send.column).values("pk").order_by()
    sql, params = subscribers.query.sql_with_params()
    table = Delivery._meta.db_table
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (send_id, subscriber_id, status, claim, attempts, last_error) "  # noqa: S608 - table and subquery come from the ORM
            f"SELECT %s, audience.pk, %s, '', 0, '' FROM ({sql}) AS audience WHERE true "
            "ON CONFLICT (send_id, subscriber_id) DO NOTHING",
            [send.pk, D.QUEUED, *params],
        )
        return cursor.rowcount


def send_start(*, column_id):
    """
    Start the column's send: render it once, fix its audience (one delivery per subscriber),
    and queue a run. For a send stopped by unpublishing, queue what it did not send again.
    Does nothing for a column that is not published, or one whose send is under way or done.
    Returns the send or None.
    """
    from .tasks import newsletter_send_run

    with transaction.atomic():
        column = (
            (Column.objects.select_for_update().select_related("category", "question"))
            .filter(pk=column_id)
            .first()
        )
        if column is None or not column.is_public:
            return None
        send = NewsletterSend.objects.select_for_update().filter(column=column).first()
        created = send is None
        if created:
            subject, html, text, placeholder = column_email(column)
            send = NewsletterSend.objects.create(
                column=column, subject=subject, html=html, text=text, placeholder=placeholder
            )
        elif send.status == NewsletterSend.Status.STOPPED:
            # Published again after an unpublish: what was stopped is queued again. What was
            # sent stays sent: each (column, subscriber) pair exists once.
            send.deliveries.filter(status=D.STOPPED).update(status=D.QUEUED, claim="")
            send.status = NewsletterSend.Status.SENDING
            send.finished_at = None
            send.save(update_fields=["status", "finished_at"])
        else:
            # Already started: the audience was fixed then, and the runs under way finish it.
            return send
        send.column = column
        added = _deliveries_add(send) if created else 0
        transaction.on_commit(lambda: newsletter_send_run.enqueue(send_id=send.pk))
    logger.info("Newsletter for column %s: %d deliveries added", column_id, added)
    return send


def send_stop(send):
    """The column is no longer public: what was not handed over is marked stopped."""
    with transaction.atomic():
        send = NewsletterSend.objects.select_for_update().get(pk=send.pk)
        if send.status != NewsletterSend.Status.SENDING:
            return send
        stopped = send.deliveries.filter(status__in=[D.QUEUED, D.CLAIMED]).update(
            status=D.STOPPED, claim=""
        )
        send.status = NewsletterSend.Status.STOPPED
        send.finished_at = timezone.now()
        send.save(update_fields=["status", "finished_at"])
    logger.info("Newsletter send %s stopped: %d not sent", send.pk, stopped)
    return send


def _claim_batch(send, claim, size):
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(send=send, status=D.QUEUED)
            .order_by("id")
            .values_list("id", flat=True)[:size]
        )
        if not ids:
            return []
        Delivery.objects.filter(id__in=ids, status=D.QUEUED).update(
            status=D.CLAIMED, claim=claim, claimed_at=now
        )
    return list(
        Delivery.objects.filter(claim=claim, status=D.CLAIMED)
        .order_by("id")
        .values_list(
            "id", "subscriber_id", "subscriber__email", "subscriber__token", "subscriber__status"
        )
    )


def _finish_if_done(send):
    with transaction.atomic():
        send = NewsletterSend.objects.select_for_update().get(pk=send.pk)
        if send.status != NewsletterSend.Status.SENDING:
            return send
        if send.deliveries.filter(status__in=REMAINING).exists():
            return send
        send.status = NewsletterSend.Status.DONE
        send.finished_at = timezone.now()
        send.save(update_fields=["status", "finished_at"])
    logger.info("Newsletter send %s done", send.pk)
    return send


RECORD_SQL = (
    "UPDATE {table} SET "
    "status = CASE WHEN id = %s THEN %s ELSE %s END, "
    "attempts = CASE WHEN id = %s THEN attempts + 1 ELSE attempts END, "
    "sent_at = CASE WHEN id = %s THEN %s ELSE sent_at END, "
    "last_error = CASE WHEN id = %s THEN %s ELSE last_error END "
    "WHERE id = %s OR (id = %s AND claim = %s AND status = %s)"
)


def _record(outcome, claim, next_id, now, *, commit_unawaited=False):
    """
    Record the last email's outcome and the next one's ``sending`` in one statement (so one
    round trip and one commit per email). ``outcome`` is ``(delivery id, status, error)`` or
    None. Returns whether the next one was marked: not when the send was stopped or its claim
    was taken for a dead run's.

    With ``commit_unawaited`` (PostgreSQL), the statement runs in a transaction whose COMMIT is
    written to the database's socket and not waited for: the caller's next step follows at once,
    and ``_commit_result()`` reads the answer after it.
    """
    previous, status, error = outcome if outcome is not None else (-1, "", "")
    error = error[:500]
    sent_at = now if status == D.SENT else None
    params = [
        previous, status, D.SENDING,
        previous,
        previous, sent_at,
        previous, error,
        previous, -1 if next_id is None else next_id, claim, D.CLAIMED,
    ]  # fmt: skip
    sql = RECORD_SQL.format(table=Delivery._meta.db_table)
    with db_connection.cursor() as cursor:
        if not commit_unawaited:
            cursor.execute(sql, params)
            rowcount = cursor.rowcount
        else:
            # One round trip: psycopg's client-side binding sends both statements as one query.
            try:
                cursor.execute("BEGIN; " + sql, params)
                cursor.nextset()  # the UPDATE's result, after BEGIN's
                rowcount = cursor.rowcount
            except Exception:
                cursor.execute("ROLLBACK")
                raise
            pgconn = db_connection.connection.pgconn
            pgconn.send_query(b"COMMIT")
            while (left := pgconn.flush()) > 0:  # 0 once all of it is in the socket
                select.select([], [pgconn.socket], [], 10)
            if left < 0:
                raise OperationalError("The newsletter's record could not reach the database.")
    marked = rowcount - (outcome is not None)
    return next_id is not None and marked > 0


def _commit_result():
    """Wait for the answer to the COMMIT ``_record(commit_unawaited=True)`` sent."""
    from psycopg import DatabaseError, pq

    pgconn = db_connection.connection.pgconn
    while True:
        pgconn.consume_input()
        if pgconn.is_busy():
            select.select([pgconn.socket], [], [], 10)
            continue
        result = pgconn.get_result()
        if result is None:
            return
        if result.status != pq.ExecStatus.COMMAND_OK:
            message = result.error_message.decode("utf-8", "replace")
            raise DatabaseError(f"The newsletter's record did not commit: {message}")


class Ledger:
    """
    A batch's record in the database: each email's outcome is committed in the same statement
    as the next email's ``sending``, so one commit per email.

    On PostgreSQL the commit that marks an email ``sending`` is written and not waited for
    (``commit_unawaited``): with SMTP, the dot that lets the server deliver the email is written
    right after it, and the answer read after that (``acknowledged``). A worker killed between
    the two writes is the only way to lose an email: microseconds, where waiting for the
    database's answer first left a whole round trip.
    """

    def __init__(self, claim):
        self.claim, self.outcome = claim, None
        # Inside a transaction (a test's) nothing may commit: each record waits as it is made.
        # Server-side binding cannot send BEGIN and the UPDATE as one query.
        self.unawaited = (
            db_connection.vendor == "postgresql"
            and not db_connection.in_atomic_block
            and not db_connection.settings_dict["OPTIONS"].get("server_side_binding")
        )

    def mark_sending(self, delivery_id):
        """Record ``delivery_id`` as being handed over (and the last outcome); False if stopped."""
        marked = _record(
            self.outcome,
            self.claim,
            delivery_id,
            timezone.now(),
            commit_unawaited=self.unawaited,
        )
        self.outcome = None
        return marked

    def acknowledged(self):
        """The commit of ``mark_sending`` is done (on PostgreSQL, wait for its answer)."""
        if self.unawaited:
            _commit_result()

    def settle(self, delivery_id, status, error):
        self.outcome = (delivery_id, status, error)

    def flush(self):
        if self.outcome is not None:
            _record(self.outcome, self.claim, None, timezone.now())
            self.outcome = None


@contextmanager
def commits_not_waiting_for_disk():
    """
    On PostgreSQL, this connection's commits do not wait for the disk while a run sends: each
    is visible to every other session at once, so a killed worker loses nothing; only a crash
    of PostgreSQL itself could lose the last fraction of a second of marks (docs/newsletter.md).
    Waiting on a disk flush for every email would cap the send far lower.
    """
    postgres = db_connection.vendor == "postgresql" and not db_connection.in_atomic_block
    if postgres:
        with db_connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        if postgres:
            with db_connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")


def _hand_to_backend(connection, message):
    """
    Hand one email to a mail backend other than SMTP (a provider's API, the test outbox).
    Returns ``(status, error, permanent_refusal)``.

    A refusal the backend states leaves no doubt, so the email is failed (a 5xx also counts
    toward suppressing the address). Anything else mid-call (a dropped connection, a timeout)
    may have come after the provider took it: ``unknown``, never resent.
    """
    try:
        sent = connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        return D.FAILED, f"refused: {error.recipients}", any(code >= 500 for code in codes)
    except smtplib.SMTPResponseException as error:
        return D.FAILED, f"{error.smtp_code} {error.smtp_error!r}", error.smtp_code >= 500
    except (smtplib.SMTPServerDisconnected, TimeoutError, OSError) as error:
        return D.UNKNOWN, f"{type(error).__name__}: {error}", False
    except Exception as error:  # another backend's failure before handing over
        return D.FAILED, f"{type(error).__name__}: {error}", False
    if sent == 0:
        return D.FAILED, "the mail backend sent nothing", False
    return D.SENT, "", False


def deliver(connection, copies, *, to, token, message_key, commit, committed=lambda: None):
    """
    One subscriber's copy through the configured mail backend (opened). ``commit()`` records it
    as handed over and returns False when the send was stopped. With Django's SMTP backend the
    commit comes after the server has the whole message and before it may deliver it
    (``smtp.hand_over``): a killed worker neither loses nor doubles it. Any other backend is
    called after the commit, so an email interrupted mid-call is ``unknown`` and not sent again.
    Returns ``(status, error, permanent_refusal)``, status ``QUEUED`` when nothing was handed
    over or recorded (with an empty error when the send was stopped).
    """
    if isinstance(connection, SMTPBackend):
        try:
            sender = copies.sender or connection.prep_address(copies.envelope["from_email"])
            copies.sender = sender
            # A plain ASCII addr-spec is its own envelope address; Django's parse of the
            # others (0.4 ms each) checks and IDNA-encodes them.
            recipient = to if PLAIN_ADDRESS.fullmatch(to) else connection.prep_address(to)
        except ValueError as error:
            return D.FAILED, f"invalid address: {error}", True
        data = copies.data(to=to, token=token, message_key=message_key)
        return hand_over(connection.connection, sender, recipient, data, commit, committed)
    marked = commit()
    committed()
    if not marked:
        return D.QUEUED, "", False
    return _hand_to_backend(connection, copies.message(to=to, token=token, message_key=message_key))


def send_run(*, send_id, seconds=None, batch_size=None):
    """
    One run of a send: batches until the queue is empty or ``seconds`` have passed (then the
    continuation is queued). Safe to run any number of times at once. Returns how many emails
    this run handed over.
    """
    from .tasks import newsletter_send_run

    seconds = settings.NEWSLETTER_TASK_SECONDS if seconds is None else seconds
    batch_size = batch_size or settings.NEWSLETTER_BATCH_SIZE
    claim = secrets.token_hex(8)
    ends_at = time.monotonic() + seconds
    handed = 0
    copies = None
    while True:
        send = NewsletterSend.objects.select_related("column").filter(pk=send_id).first()
        if send is None or send.status != NewsletterSend.Status.SENDING:
            return handed
        column = Column.objects.filter(pk=send.column_id).only("status", "published_at").first()
        if column is None or not column.is_public:
            send_stop(send)
            return handed
        batch = _claim_batch(send, claim, batch_size)
        if not batch:
            _finish_if_done(send)
            return handed
        if copies is None:  # composed once a run: the send's text and the publication's sender
            copies = Copies(
                subject=send.subject,
                html=send.html,
                text=send.text,
                placeholder=send.placeholder,
                envelope=envelope(),
            )
        with commits_not_waiting_for_disk():
            handed += _send_batch(send, batch, claim, copies)
        NewsletterSend.objects.filter(pk=send.pk).update(heartbeat_at=timezone.now())
        if time.monotonic() >= ends_at:
            transaction.on_commit(lambda: newsletter_send_run.enqueue(send_id=send_id))
            return handed


def _requeue(claim):
    """What this run claimed and did not hand over goes back to the queue."""
    Delivery.objects.filter(claim=claim, status=D.CLAIMED).update(status=D.QUEUED, claim="")


def _send_batch(send, batch, claim, copies):
    connection = mail.mailers.default
    ledger = Ledger(claim)
    handed = 0
    skipped = [row[0] for row in batch if row[1] is None or row[4] != Subscriber.Status.CONFIRMED]
    if skipped:
        Delivery.objects.filter(id__in=skipped, claim=claim).update(status=D.SKIPPED)
    skipped = set(skipped)
    rows = [row for row in batch if row[0] not in skipped]
    if not rows:
        return 0
    last_touch = time.monotonic()
    try:
        connection.open()
        for delivery_id, subscriber_id, email, token, _status in rows:
            if time.monotonic() - last_touch > 10:
                # Still alive: the rest of the batch is not taken for a dead run's.
                Delivery.objects.filter(claim=claim, status__in=[D.CLAIMED, D.SENDING]).update(
                    claimed_at=timezone.now()
                )
                last_touch = time.monotonic()
            status, error, refused = deliver(
                connection,
                copies,
                to=email,
                token=token,
                message_key=message_key(send.column_id, subscriber_id),
                commit=lambda delivery_id=delivery_id: ledger.mark_sending(delivery_id),
                committed=ledger.acknowledged,
            )
            if status == D.QUEUED:
                # Not handed over (the send stopped, or the connection failed first): this
                # one and the rest of the batch go back to the queue.
                if error:
                    logger.warning("Newsletter send %s: connection lost: %s", send.pk, error)
                break
            ledger.settle(delivery_id, status, error)
            if status == D.SENT:
                handed += 1
            elif refused:
                subscriber_rejected(subscriber_id=subscriber_id, error=error)
            if status == D.UNKNOWN:
                logger.warning("Newsletter delivery %s interrupted: %s", delivery_id, error)
                break  # the connection is gone: the rest of the batch goes back to the queue
        ledger.flush()
        _requeue(claim)
    except (smtplib.SMTPException, OSError) as error:
        # Opening the connection failed: nothing of this batch was handed over.
        logger.warning("Newsletter send %s: mail server unavailable: %s", send.pk, error)
        ledger.flush()
        _requeue(claim)
        raise
    finally:
        connection.close()
    return handed


def sends_resume(*, now=None):
    """
    The periodic job: give back what dead runs held, and queue a run for every send that has
    made no progress within NEWSLETTER_LEASE_SECONDS. Returns the sends resumed.
    """
    from .tasks import newsletter_send_run

    now = now or timezone.now()
    stale = now - datetime.timedelta(seconds=settings.NEWSLETTER_LEASE_SECONDS)
    abandoned = Delivery.objects.filter(status=D.CLAIMED, claimed_at__lt=stale)
    requeued_sends = set(abandoned.values_list("send_id", flat=True).distinct())
    requeued = abandoned.update(status=D.QUEUED, claim="")
    unknown = Delivery.objects.filter(status=D.SENDING, claimed_at__lt=stale).update(
        status=D.UNKNOWN, last_error="the run stopped while handing it over"
    )
    if requeued or unknown:
        logger.warning(
            "Newsletter: %d deliveries of stopped runs queued again, %d interrupted while "
            "handed over (not sent again)",
            requeued,
            unknown,
        )
    resumed = []
    for send in NewsletterSend.objects.filter(status=NewsletterSend.Status.SENDING).filter(
        Q(heartbeat_at__lt=stale) | Q(pk__in=requeued_sends)
    ):
        NewsletterSend.objects.filter(pk=send.pk).update(heartbeat_at=now)
        transaction.on_commit(lambda pk=send.pk: newsletter_send_run.enqueue(send_id=pk))
        resumed.append(send.pk)
    return resumed


def test_send(*, column_id, user_id):
    """
    Send the column's email to one staff member, as it will go out: the same rendering,
    headers and path to the mail server, its links pointing at a page that says they are a
    test email's (``TEST_TOKEN``). Returns True when the mail backend took it.
    """
    from django.contrib.auth import get_user_model

    column = Column.objects.select_related("category", "question").filter(pk=column_id).first()
    user = get_user_model().objects.filter(pk=user_id, is_staff=True).first()
    if column is None or user is None or not user.email:
        return False
    subject, html, text, placeholder = column_email(column)
    copies = Copies(
        subject=f"[Test] {subject}",
        html=html,
        text=text,
        placeholder=placeholder,
        envelope=envelope(),
    )
    connection = mail.mailers.default
    try:
        connection.open()
        status, error, _refused = deliver(
            connection,
            copies,
            to=user.email,
            token=TEST_TOKEN,
            message_key=f"newsletter-test.{column.pk}.{user.pk}.{secrets.token_hex(4)}",
            commit=lambda: True,
        )
    except (smtplib.SMTPException, OSError) as error:
        status, error = D.FAILED, f"{type(error).__name__}: {error}"
    finally:
        connection.close()
    if status != D.SENT:
        logger.warning("Test newsletter for column %s not sent: %s", column.pk, error)
    return status == D.SENT
