"""
Handing one email to an SMTP server so that a killed worker neither loses nor doubles it.

An SMTP server delivers a message only once it has read the line with the single dot that
ends DATA; a connection that drops before that line leaves nothing delivered (RFC 5321,
section 4.1.1.4). ``hand_over`` sends the envelope and the whole message, then calls
``commit()``, which records in the database that this email is handed over, and only then sends
the dot:

- killed before the commit: the server drops the unfinished message, and the delivery, still
  only claimed, goes back to the queue to be sent once;
- killed after the dot: the server has it, and the record says it was handed over, so it is
  never sent again;
- killed between the two: the record says handed over and the server never got the dot. On
  PostgreSQL the commit is written to the database's socket and its answer read only after the
  dot is written (``sending.Ledger``), so this is the time between two writes to local sockets;
  ``make bench-newsletter`` kills the worker mid-send and counts what the server received.

The connection is the one Django's SMTP backend opened (``EMAIL_HOST``, TLS and login as
configured); only the transaction is written here, with ``smtplib``'s documented calls.
"""

import re
import smtplib
import socket

from .models import Delivery

D = Delivery.Status
LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


def _stuffed(data):
    """The message as DATA sends it: CRLF at the end, a leading dot doubled (RFC 5321 4.5.2)."""
    data = LEADING_DOT.sub(b"..", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def _refusal(code, reply):
    return f"{code} {reply.decode('utf-8', 'replace')[:300]}", code >= 500


def hand_over(smtp, sender, recipient, data, commit, committed=lambda: None):
    """
    One email, from ``sender`` to ``recipient``, over ``smtp`` (an open ``smtplib.SMTP``).
    ``commit()`` records the email as handed over and returns whether it did (not when the send
    was stopped meanwhile); it runs after the server has the whole message and before the dot.
    It may return once its commit is on its way to the database, not yet answered:
    ``committed()``, called right after the dot is written, waits for the answer.

    Returns ``(status, error, permanent)``:

    - ``QUEUED``: not handed over and not recorded: ``commit()`` refused (the error is empty),
      or the connection failed before the commit (the error says how);
    - ``FAILED``: the server refused it, for good when ``permanent`` (5xx);
    - ``SENT``: the server took it;
    - ``UNKNOWN``: the connection failed after the dot was sent: whether the server took it
      cannot be known, and it is not sent again.

    After ``QUEUED`` or ``UNKNOWN`` the connection is closed.
    """
    try:
        # The dot goes out in a write of its own just after the message: with Nagle's
        # algorithm it would wait for the server's delayed ACK (40 ms) each time.
        smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        smtp.ehlo_or_helo_if_needed()
        code, reply = smtp.mail(sender)
        if code != 250:
            smtp.rset()
            return (D.FAILED, *_refusal(code, reply))
        code, reply = smtp.rcpt(recipient)
        if code not in (250, 251):
            smtp.rset()
            return (D.FAILED, *_refusal(code, reply))
        code, reply = smtp.docmd("DATA")
        if code != 354:
            smtp.rset()
            return (D.FAILED, *_refusal(code, reply))
        smtp.send(_stuffed(data))
    except (smtplib.SMTPException, OSError) as error:
        smtp.close()
        return D.QUEUED, f"{type(error).__name__}: {error}", False
    marked = commit()
    try:
        if not marked:
            smtp.close()  # the server drops the message it was given
            return D.QUEUED, "", False
        try:
            smtp.send(b".\r\n")
        except (smtplib.SMTPException, OSError) as error:
            smtp.close()
            return D.UNKNOWN, f"{type(error).__name__}: {error}", False
    finally:
        committed()
    try:
        code, reply = smtp.getreply()
    except (smtplib.SMTPException, OSError) as error:
        smtp.close()
        return D.UNKNOWN, f"{type(error).__name__}: {error}", False
    if code != 250:
        return (D.FAILED, *_refusal(code, reply))
    return D.SENT, "", False
