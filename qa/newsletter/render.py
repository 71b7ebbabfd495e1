"""
The column as an email: an HTML part with inline styles, one column that narrows to a phone's
375 px, and a plain-text part with the same words.

The column is rendered once per send with a placeholder for each link that differs per
subscriber (``column_email``); ``personalise`` only swaps those in. Every piece of a reader's or
an expert's text reaches the email autoescaped by the template, or, for an answer, as the
page's sanitised HTML run through the same allow-list again with absolute links.
"""

import html as html_lib
import re
import secrets
from urllib.parse import urlsplit

import nh3
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from ..emails import absolute_url
from ..markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, ALLOWED_URL_SCHEMES
from ..markdown import _drop_disguised_schemes as page_attribute_filter
from ..models import Answer, Publication
from .services import preferences_url, unsubscribe_url

# What an email client needs inline, since many drop <style>.
ANSWER_STYLES = {
    "p": {"style": "margin:0 0 16px 0;"},
    "a": {"style": "color:#0b5cad;text-decoration:underline;"},
    "img": {"style": "max-width:100%;height:auto;border:0;"},
    "blockquote": {"style": "margin:0 0 16px 0;padding-left:12px;border-left:3px solid #ccc;"},
    "pre": {"style": "white-space:pre-wrap;font-size:14px;background:#f4f4f4;padding:8px;"},
    "ul": {"style": "margin:0 0 16px 0;padding-left:24px;"},
    "ol": {"style": "margin:0 0 16px 0;padding-left:24px;"},
    "h3": {"style": "font-size:18px;margin:16px 0 8px 0;"},
    "h4": {"style": "font-size:16px;margin:16px 0 8px 0;"},
}


def _email_attribute_filter(tag, attribute, value):
    value = page_attribute_filter(tag, attribute, value)
    if value is None:
        return None
    if attribute in {"href", "src"} and value.startswith("/") and not value.startswith("//"):
        return absolute_url(value)
    return value


def answer_html(body_html):
    """An answer's sanitised HTML for an email: same allow-list, absolute links, inline styles."""
    return nh3.clean(
        body_html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        attribute_filter=_email_attribute_filter,
        link_rel="noopener",
        strip_comments=True,
        set_tag_attribute_values=ANSWER_STYLES,
    )


BLOCK_END = re.compile(r"</(p|h3|h4|blockquote|pre|ul|ol)>|<br\s*/?>|<hr\s*/?>", re.IGNORECASE)
LIST_ITEM = re.compile(r"<li[^>]*>", re.IGNORECASE)
LINK = re.compile(r'<a [^>]*href="([^"]*)"[^>]*>(.*?)</a>', re.IGNORECASE | re.DOTALL)


def answer_text(body_html):
    """The same answer as plain text: paragraphs, list items, and each link's address."""
    cleaned = answer_html(body_html)

    def link(match):
        text, href = match.group(2), html_lib.unescape(match.group(1))
        return text if html_lib.unescape(text).strip() == href else f"{text} ({href})"

    text = LINK.sub(link, cleaned)
    text = LIST_ITEM.sub("- ", text)
    text = BLOCK_END.sub("\n\n", text)
    text = nh3.clean(text, tags=set())  # every tag goes, its text stays
    text = html_lib.unescape(text)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def email_answers(column):
    """The answers an email carries: approved, in the editor's order, whether or not published."""
    return list(
        Answer.objects.filter(column=column, status=Answer.Status.APPROVED)
        .select_related("expert")
        .order_by("position", "id")
    )


def one_line(text):
    return " ".join((text or "").split())


def column_email(column, *, placeholder=None):
    """
    ``(subject, html, text, placeholder)`` for ``column``, with ``placeholder + "-preferences"``
    and ``placeholder + "-unsubscribe"`` where each subscriber's own links go.
    """
    placeholder = placeholder or f"nl{secrets.token_hex(8)}"
    publication = Publication.current()
    answers = email_answers(column)
    context = {
        "publication": publication,
        "column": column,
        "category": column.category,
        "question": column.question,
        "answers": [
            {
                "headline": answer.headline,
                "expert": answer.expert,
                "html": answer_html(answer.body_html),
                "text": answer_text(answer.body_html),
            }
            for answer in answers
        ],
        "column_url": absolute_url(column.get_absolute_url()),
        "site_url": settings.SITE_URL,
        "preferences_url": f"{placeholder}-preferences",
        "unsubscribe_url": f"{placeholder}-unsubscribe",
    }
    html = render_to_string("emails/newsletter/column.html", context)
    text = render_to_string("emails/newsletter/column.txt", context)
    return one_line(column.title)[:300], html, text, placeholder


def personalise(content, placeholder, subscriber_token):
    return content.replace(f"{placeholder}-preferences", preferences_url(subscriber_token)).replace(
        f"{placeholder}-unsubscribe", unsubscribe_url(subscriber_token)
    )


def site_domain():
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def envelope():
    """What every newsletter email shares, from the publication's settings: read once a batch."""
    publication = Publication.current()
    name = one_line(publication.name).replace('"', "")[:80]
    return {
        "from_email": publication.newsletter_from or settings.DEFAULT_FROM_EMAIL,
        "reply_to": publication.newsletter_reply_to or settings.EDITOR_EMAIL,
        "list_id": f'"{name}" <newsletter.{site_domain()}>',
        "domain": site_domain(),
    }


def newsletter_message(*, subject, html, text, placeholder, to, token, message_key, envelope):
    """
    One subscriber's email: their links swapped in, the RFC 8058 one-click headers, and a
    Message-ID derived from ``message_key`` (the column and the subscriber), so the same email
    always carries the same id.
    """
    message = EmailMultiAlternatives(
        subject=subject,
        body=personalise(text, placeholder, token),
        from_email=envelope["from_email"],
        to=[to],
        reply_to=[envelope["reply_to"]],
        headers={
            "Message-ID": f"<{message_key}@{envelope['domain']}>",
            "List-Id": envelope["list_id"],
            "List-Unsubscribe": f"<{unsubscribe_url(token)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            "Precedence": "bulk",
        },
    )
    message.attach_alternative(personalise(html, placeholder, token), "text/html")
    return message
