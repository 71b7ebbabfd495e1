"""
A stored URL is printed only through ``qa.links.safe_url`` (the ``safe_url`` filter): a
``javascript:`` address written by an import or a shell reaches no page, feed, JSON-LD or email.
"""

import pytest
from django.core import mail
from django.test import Client

from qa.links import safe_url
from qa.models import Answer, Column, Expert

from .factories import AnswerFactory, ColumnFactory, ExpertFactory

pytestmark = pytest.mark.django_db

HOSTILE = [
    "javascript:alert(1)",
    "  JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "javascript\x01:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "https://",
    "https://evil.example/\u202ejs.exe",
    "http://evil.example/ onmouseover=alert(1)",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_safe_url_refuses_what_is_not_a_plain_http_address(url):
    assert safe_url(url) == ""


@pytest.mark.parametrize(
    "url", ["https://careers.example/", "http://example.com/a?b=c#d", "HTTPS://EXAMPLE.COM/"]
)
def test_safe_url_keeps_an_http_address(url):
    assert safe_url(url) == url


def pages_of(column, expert):
    return [
        "/",
        column.get_absolute_url(),
        expert.get_absolute_url(),
        "/experts/",
        "/columns/",
        column.category.get_absolute_url(),
        "/feed/",
        "/feed/atom/",
        f"{column.category.get_absolute_url()}feed/",
        "/sitemap.xml",
        "/search/?q=number",
    ]


# "https://" alone is in every page as part of other addresses: the unit test above covers it.
@pytest.mark.parametrize("url", [url for url in HOSTILE if url != "https://"])
def test_a_hostile_stored_url_in_every_url_field_is_printed_nowhere(url):
    column = ColumnFactory(published=True)
    expert = ExpertFactory(company="Evil Co")
    AnswerFactory(column=column, expert=expert, status=Answer.Status.APPROVED)
    # Written as an import or a shell would: past every form.
    Column.objects.filter(pk=column.pk).update(source_url=url)
    Expert.objects.filter(pk=expert.pk).update(company_url=url)
    needle = url.strip()
    printed = []
    for page in pages_of(column, expert):
        response = Client().get(page)
        assert response.status_code == 200, page
        if needle in response.content.decode():
            printed.append(page)
    assert printed == []
    assert all(needle not in message.body for message in mail.outbox)


def test_a_safe_stored_url_is_printed_as_a_link():
    column = ColumnFactory(published=True)
    expert = ExpertFactory(company="Good Co")
    AnswerFactory(column=column, expert=expert, status=Answer.Status.APPROVED)
    Column.objects.filter(pk=column.pk).update(source_url="https://source.example/piece")
    Expert.objects.filter(pk=expert.pk).update(company_url="https://good.example/")
    page = Client().get(column.get_absolute_url()).text
    assert 'href="https://source.example/piece"' in page
    assert '<link rel="canonical" href="https://source.example/piece">' in page
    assert 'href="https://good.example/"' in page
    assert 'href="https://good.example/"' in Client().get(expert.get_absolute_url()).text
