"""
The hostile-input sweep through the newsletter email: every payload (OWASP's and the Big List
of Naughty Strings) in every field of a column that the email shows, written straight into the
database. Nothing executable reaches the HTML part, the subject stays one header line, and the
message serialises.
"""

import email
import secrets

import pytest

from qa.markdown import render_markdown
from qa.models import Answer, Column, Expert, Publication, Question
from qa.newsletter.render import POLICY, Copies, column_email, envelope, newsletter_message

from .factories import AnswerFactory, ColumnFactory
from .security import executable_parts, owasp_payloads, xss_payloads

pytestmark = pytest.mark.django_db


def fit(model, field, value):
    limit = model._meta.get_field(field).max_length
    return value[:limit] if limit else value


@pytest.mark.parametrize(
    "payloads",
    [
        pytest.param(owasp_payloads, id="owasp"),
        pytest.param(xss_payloads, id="owasp-and-naughty-strings", marks=pytest.mark.slow),
    ],
)
def test_no_payload_reaches_the_newsletter_email(payloads):
    column = ColumnFactory(status=Column.Status.REVIEW)
    answer = AnswerFactory(column=column)
    expert = answer.expert
    publication = Publication.current()
    tried, reached = 0, []
    for payload in payloads():
        Column.objects.filter(pk=column.pk).update(
            title=fit(Column, "title", payload) or "t",
            dek=payload,
            intro=payload,
        )
        Question.objects.filter(pk=column.question_id).update(
            body=payload, signature=fit(Question, "signature", payload)
        )
        Answer.objects.filter(pk=answer.pk).update(
            headline=fit(Answer, "headline", payload), body_html=render_markdown(payload)
        )
        Expert.objects.filter(pk=expert.pk).update(
            name=fit(Expert, "name", payload), company=fit(Expert, "company", payload)
        )
        publication.name = fit(Publication, "name", payload)
        publication.save()
        column.refresh_from_db()
        subject, html, text, placeholder = column_email(column)
        found = executable_parts(html, script_prefixes=())
        if found:
            reached.append((payload, found))
        assert "\n" not in subject and "\r" not in subject
        message = newsletter_message(
            subject=subject,
            html=html,
            text=text,
            placeholder=placeholder,
            to="reader@example.com",
            token="t0ken",
            message_key=f"newsletter.{column.pk}.1",
            envelope=envelope(),
        )
        serialised = message.message().as_bytes()
        assert b"\nX-Injected" not in serialised
        copies = Copies(
            subject=subject, html=html, text=text, placeholder=placeholder, envelope=envelope()
        )
        data = copies.data(to="reader@example.com", token="t0ken", message_key="k")
        assert b"\nX-Injected" not in data
        assert executable_parts(parsed(data).get_body(("html",)).get_content()) == []
        tried += 1
    print(f"\nNewsletter email: {tried} payloads in 10 fields, {len(reached)} reached the HTML")
    assert reached == []
    assert tried == len(payloads())


def parsed(data):
    return email.message_from_bytes(data, policy=email.policy.default)


HEADERS = (
    "Subject", "From", "To", "Reply-To", "Message-ID", "List-Id", "List-Unsubscribe",
    "List-Unsubscribe-Post", "Auto-Submitted", "Precedence", "MIME-Version",
)  # fmt: skip


def test_each_copy_is_the_email_django_builds_for_that_subscriber():
    """The fast copy (slots in one flattened message) parses to what Django's API makes."""
    publication = Publication.current()
    publication.name = "Carrières — L'hebdo"
    publication.newsletter_from = "Carrières <column@careers.example>"
    publication.save()
    column = ColumnFactory(status=Column.Status.REVIEW, title='Über = "quotes" & ünïcode')
    long_line = "word " * 400  # one paragraph far past 998 characters
    AnswerFactory(
        column=column,
        body=f".Leading dot\n\nFrom the start\n\ntrailing space \n\n{long_line}\n\n=3D ok",
    )
    subject, html, text, placeholder = column_email(column)
    copies = Copies(
        subject=subject, html=html, text=text, placeholder=placeholder, envelope=envelope()
    )
    for to in ["reader@example.com", "o'hara+news@sub.example.org", "léa@exämple.fr"]:
        token = secrets.token_urlsafe(24)
        fast = copies.data(to=to, token=token, message_key=f"newsletter.1.{to}")
        slow = copies.message(to=to, token=token, message_key=f"newsletter.1.{to}")
        slow = slow.message(policy=POLICY).as_bytes()
        assert max(len(line) for line in fast.split(b"\r\n")) <= 998
        fast, slow = parsed(fast), parsed(slow)
        for header in HEADERS:
            assert fast[header] == slow[header], header
        for kind in ("plain", "html"):
            assert fast.get_body((kind,)).get_content() == slow.get_body((kind,)).get_content()
            assert token in fast.get_body((kind,)).get_content()
        assert token in fast["List-Unsubscribe"]
