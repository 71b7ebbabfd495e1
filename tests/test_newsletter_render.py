"""
The hostile-input sweep through the newsletter email: every payload (OWASP's and the Big List
of Naughty Strings) in every field of a column that the email shows, written straight into the
database. Nothing executable reaches the HTML part, the subject stays one header line, and the
message serialises.
"""

import pytest

from qa.markdown import render_markdown
from qa.models import Answer, Column, Expert, Publication, Question
from qa.newsletter.render import column_email, envelope, newsletter_message

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
        tried += 1
    print(f"\nNewsletter email: {tried} payloads in 10 fields, {len(reached)} reached the HTML")
    assert reached == []
    assert tried == len(payloads())
