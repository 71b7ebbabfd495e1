"""
A reader subscribes, confirms from the email, receives the column when it is published (read
from the test mail backend and opened in the browser at 1280 and 375 px), and unsubscribes
from the email's link.
"""

import re

from django.core import mail
from playwright.sync_api import expect

from qa.models import Column, Subscriber
from qa.services import column_publish

from ..factories import AnswerFactory, CategoryFactory, ColumnFactory, ExpertFactory
from .conftest import PHONE

CONFIRM_LINK = re.compile(r"http://\S+/newsletter/confirm/[\w-]+/")


def test_subscribe_confirm_receive_and_unsubscribe(page, live_server, settings, screenshot):
    settings.ASK_MIN_SECONDS = 0
    settings.SITE_URL = live_server.url
    category = CategoryFactory(name="Job Interviews", slug="job-interviews")
    column = ColumnFactory(
        status=Column.Status.REVIEW,
        category=category,
        question__category=category,
        question__body="I had a great interview last week. Should I follow up on Facebook?",
        title="Should I Follow Up With An Interviewer Over Facebook?",
        dek="After an interview, it's very important to reach out to the employer.",
    )
    AnswerFactory(
        column=column,
        expert=ExpertFactory(name="Debra Wheatman", company="Careers Done Write"),
        headline="Send A Thank-You Note ASAP",
        body="Send a **thank-you note** by email the same day.",
    )

    page.goto("/newsletter/")
    page.get_by_label("Your email").fill("reader@example.com")
    page.get_by_label("Job Interviews").check()
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    (confirmation,) = mail.outbox
    assert confirmation.to == ["reader@example.com"]
    page.goto(CONFIRM_LINK.search(confirmation.body).group(0))
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING  # opening is not consent
    page.get_by_role("button", name="Confirm my subscription").click()
    expect(page.get_by_role("heading", name="You are subscribed")).to_be_visible()

    column_publish(column=column, by=None)
    (newsletter,) = [m for m in mail.outbox if m.subject == column.title]
    assert newsletter.to == ["reader@example.com"]
    # A blank page, as a mail client's: the site's CSP does not govern the email's own styles.
    page.goto("about:blank")
    page.set_content(newsletter.alternatives[0].content)
    expect(page.get_by_role("heading", level=1)).to_have_text(column.title)
    expect(page.get_by_text("Debra Wheatman")).to_be_visible()
    screenshot(page, "newsletter-email")
    page.set_viewport_size(PHONE)
    widths = page.evaluate(
        "() => ({scroll: document.scrollingElement.scrollWidth,"
        " client: document.scrollingElement.clientWidth})"
    )
    assert widths["scroll"] <= widths["client"], widths

    page.get_by_role("link", name="Unsubscribe", exact=True).click()
    expect(page.get_by_role("heading", name="Unsubscribe")).to_be_visible()
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED  # a GET changes nothing
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    assert Subscriber.objects.get().status == Subscriber.Status.UNSUBSCRIBED
