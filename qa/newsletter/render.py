"""
The column as an email: an HTML part with inline styles, one column that narrows to a phone's
375 px, and a plain-text part with the same words.

The column is rendered once per send with a placeholder for each link that differs per
subscriber (``column_email``); ``personalise`` only swaps those in. Every piece of a reader's or
an expert's text reaches the email autoescaped by the template, or, for an answer, as the
page's sanitised HTML run through the same allow-list again with absolute links.
"""

import binascii
import email.policy
import html as html_lib
import re
import secrets
from urllib.parse import urlsplit

import nh3
from django.conf import settings
from django.template.loader import render_to_string

from ..emails import absolute_url
from ..mail import automated_message, message_id
from ..markdown import sanitize_html
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


def _absolute(url):
    """A link in an email leads to the site: a path on it becomes a whole URL."""
    return absolute_url(url) if url.startswith("/") and not url.startswith("//") else url


def answer_html(body_html):
    """An answer's sanitised HTML for an email: same allow-list, absolute links, inline styles."""
    return sanitize_html(
        body_html or "", url_rewrite=_absolute, link_rel="noopener", styles=ANSWER_STYLES
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
    One subscriber's email: their links swapped in, the RFC 8058 one-click headers, and the
    automated headers every email of the site carries (``qa.mail.automated_message``), with a
    Message-ID derived from ``message_key`` (the column and the subscriber), so the same email
    always carries the same id.
    """
    return automated_message(
        key=message_key,
        to=to,
        subject=subject,
        body=personalise(text, placeholder, token),
        html=personalise(html, placeholder, token),
        from_email=envelope["from_email"],
        reply_to=envelope["reply_to"],
        headers={
            "List-Id": envelope["list_id"],
            "List-Unsubscribe": f"<{unsubscribe_url(token)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Precedence": "bulk",
        },
    )


# Headers are not folded below RFC 5322's hard limit of 998: the standard 78 made Python encode
# the one-click link, a single long word, as RFC 2047 encoded words, which no mail client reads
# as a URL.
POLICY = email.policy.SMTP.clone(max_line_length=998)


def _qp(content):
    """``content`` as a quoted-printable body with CRLF line ends (binascii's C encoder)."""
    lines = content.replace("\r\n", "\n").replace("\r", "\n")
    if not lines.endswith("\n"):
        lines += "\n"
    return binascii.b2a_qp(lines.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")


class Copies:
    """
    One send's email, composed once through Django's mail API, and each subscriber's copy of it.
    A copy differs from the others only in what is the subscriber's own: the To address, the
    links that carry their token, and the Message-ID.

    ``message()`` is the copy as an ``EmailMultiAlternatives``, for any mail backend.
    ``data()`` is the same copy as the bytes an SMTP server receives. Building and flattening a
    MIME message per subscriber took about 5 ms, most of the send's time; here the message is
    flattened once with a random slot in each of those places, and each copy swaps its values
    into the slots: its links into the two bodies, which are then encoded quoted-printable
    (binascii's C encoder), and its address, Message-ID and one-click link into the headers.
    ``tests/test_newsletter_render.py`` checks that a copy parses to the same email as
    ``message()`` flattened by Django.
    """

    def __init__(self, *, subject, html, text, placeholder, envelope):
        self.subject, self.html, self.text = subject, html, text
        self.placeholder, self.envelope = placeholder, envelope
        self.sender = None  # the envelope sender, as the SMTP backend prepares it
        slot = f"slot{secrets.token_hex(8)}"
        self.slots = {name: f"{slot}{name}" for name in ("text", "html", "token", "key")}
        self.slots["to"] = f"{slot}to@slot.invalid"
        # Each link that carries the token, with the token's place marked.
        self.urls = {
            "preferences": preferences_url(self.slots["token"]),
            "unsubscribe": unsubscribe_url(self.slots["token"]),
        }
        template = newsletter_message(
            subject=subject,
            html=self.slots["html"],
            text=self.slots["text"],
            placeholder=placeholder,
            to=self.slots["to"],
            token=self.slots["token"],
            message_key=self.slots["key"],
            envelope=envelope,
        )
        raw = template.message(policy=POLICY).as_bytes()
        self.message_id_slot = message_id(self.slots["key"]).encode()
        self.pieces = self._split(raw)

    def _split(self, raw):
        """
        ``raw`` around its two bodies (text, then html), each part's headers saying
        quoted-printable: [headers and the text part's, the html part's, the end].
        """
        seven_bit = b"Content-Transfer-Encoding: 7bit\r\n"
        pieces = []
        for name in ("text", "html"):
            slot = self.slots[name].encode()
            if raw.count(slot) != 1:
                raise ValueError(f"The newsletter's {name} body was not found once in its MIME.")
            head, raw = raw.split(slot + b"\r\n")
            part = head.rfind(b"\r\n--")  # where this part's boundary line starts
            if head[part:].count(seven_bit) != 1:
                raise ValueError(f"The newsletter's {name} part has an unexpected encoding.")
            pieces.append(
                head[:part]
                + head[part:].replace(seven_bit, b"Content-Transfer-Encoding: quoted-printable\r\n")
            )
        pieces.append(raw)
        headers = pieces[0]
        slots = [self.slots["to"].encode(), self.message_id_slot, self.slots["token"].encode()]
        for value in slots:
            if headers.count(value) != 1:
                raise ValueError("A subscriber's header slot was not found once in the MIME.")
        return pieces

    def _personal(self, content, token):
        for name, url in self.urls.items():
            content = content.replace(f"{self.placeholder}-{name}", url)
        return content.replace(self.slots["token"], token)

    def message(self, *, to, token, message_key):
        return newsletter_message(
            subject=self.subject,
            html=self.html,
            text=self.text,
            placeholder=self.placeholder,
            to=to,
            token=token,
            message_key=message_key,
            envelope=self.envelope,
        )

    def data(self, *, to, token, message_key):
        """The copy as SMTP DATA (before dot-stuffing), the same email as ``message()``."""
        if not to.isascii():  # an internationalised address: Django encodes its header
            copy = self.message(to=to, token=token, message_key=message_key)
            return copy.message(policy=POLICY).as_bytes()
        headers, html_head, end = self.pieces
        headers = (
            headers.replace(self.slots["to"].encode(), to.encode())
            .replace(self.message_id_slot, message_id(message_key).encode())
            .replace(self.slots["token"].encode(), token.encode())
        )
        return b"".join(
            [
                headers,
                _qp(self._personal(self.text, token)),
                html_head,
                _qp(self._personal(self.html, token)),
                end,
            ]
        )
