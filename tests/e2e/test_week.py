"""
The whole week in a real browser: a reader asks, the editor picks and invites, one expert
answers and another declines, the editor approves and publishes, and everyone can follow it.
"""

import datetime
import re
import time
from urllib.parse import urlsplit

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from ..factories import CategoryFactory, monday
from .test_reading import IN_DOCUMENT_ORDER

READER_EMAIL = "dana@reader.example"
QUESTION = (
    "I had a second interview last week and it went well. Should I follow up with the hiring "
    "manager over Facebook, or is that too personal?"
)
LINK = re.compile(r"https?://\S+")


def emails_to(address, subject, timeout=5.0):
    """The emails to ``address`` whose subject contains ``subject``, waiting for the server's."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in mail.outbox if address in m.to and subject in m.subject]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def the_email(address, subject):
    found = emails_to(address, subject)
    assert len(found) == 1, (address, subject, [(m.to, m.subject) for m in mail.outbox])
    return found[0]


def said(page, message):
    """The admin shows ``message`` among its messages."""
    expect(page.locator(".messagelist li", has_text=message)).to_be_visible()


def links_in(email, site):
    """Every link in the email; each must point at this site."""
    links = LINK.findall(email.body)
    assert links, email.body
    assert all(link.startswith(site) for link in links), links
    return links


def open_links(page, email, site):
    """Open each link of the email in ``page``: each answers 200 and is no login form."""
    for link in links_in(email, site):
        response = page.goto(link)
        assert response.status == 200, (link, response.status)
        assert "/admin/login/" not in page.url, link
    return links_in(email, site)


def test_the_week(
    page, staff_page, new_context, browser_errors, editor, expert_a, expert_b, live_server, settings
):
    settings.ASK_MIN_SECONDS = 0
    settings.SITE_URL = live_server.url
    site = live_server.url
    CategoryFactory(name="Job Interviews", slug="job-interviews")
    alice, bob = expert_a.expert, expert_b.expert
    alice.company, alice.slug = "Careers Done Write", "alice"
    alice.save()

    # 1. The reader asks, errs, sees why with their text kept, fixes it and sends.
    reader = page
    reader.goto("/ask/")
    reader.get_by_role("textbox", name="Your question").fill("Facebook follow-up?")
    reader.get_by_label("Topic").select_option(label="Job Interviews")
    reader.get_by_role("textbox", name="Signature").fill("D")
    reader.get_by_label("Your name").fill("Dana Reader")
    reader.get_by_label("Your email").fill(READER_EMAIL)
    reader.get_by_label("Publish my question").check()
    reader.get_by_role("button", name="Send my question").click()

    errors = reader.locator("#form-errors")
    expect(errors).to_contain_text("Your question is too short: write at least 30 characters")
    question_box = reader.get_by_role("textbox", name="Your question")
    expect(question_box).to_have_value("Facebook follow-up?")
    expect(question_box).to_have_attribute("aria-invalid", "true")
    expect(reader.get_by_label("Your email")).to_have_value(READER_EMAIL)
    expect(reader.get_by_role("textbox", name="Signature")).to_have_value("D")

    question_box.fill(QUESTION)
    if not reader.get_by_label("Publish my question").is_checked():
        reader.get_by_label("Publish my question").check()
    reader.get_by_role("button", name="Send my question").click()

    expect(reader.get_by_role("heading", level=1)).to_have_text("Thank you: we have your question")
    reader.locator(".status-link a").click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("Your question")
    expect(reader.locator(".standing")).to_have_text("Received")
    expect(reader.locator("blockquote")).to_contain_text("too personal?")
    status_url = reader.url
    received = the_email(READER_EMAIL, "We have your question")
    assert status_url in open_links(reader, received, site)

    # 2. The editor picks it from the queue, edits title and dek, invites two, sets a deadline.
    editor_page = staff_page(editor)
    editor_page.goto("/admin/qa/question/")
    row = editor_page.locator("#result_list tbody tr", has_text="I had a second interview")
    expect(row).to_have_count(1)
    row.get_by_role("checkbox").check()
    editor_page.locator("select[name=action]").select_option("pick_for_week")
    editor_page.get_by_role("button", name="Run", exact=True).click()

    expect(editor_page.locator("blockquote.picked-question")).to_contain_text("too personal?")
    next_week = monday(1)
    expect(editor_page.get_by_label("Week of")).to_have_value(f"{next_week:%Y-%m-%d}")
    editor_page.get_by_label("Proposed title").fill("Should I follow up over Facebook?")
    editor_page.get_by_role("button", name="Pick this question").click()
    said(editor_page, f"Picked for the week of {next_week:%B} {next_week.day}. Now invite")

    editor_page.locator(".breadcrumbs").get_by_role("link", name="Should I follow up").click()
    title = "Should I Follow Up With An Interviewer Over Facebook?"
    dek = "After an interview, it's very important to reach out to the employer."
    editor_page.get_by_label("Title:", exact=True).fill(title)
    editor_page.get_by_label("Dek:", exact=True).fill(dek)
    editor_page.get_by_role("button", name="Save and continue editing").click()
    said(editor_page, "was changed successfully")
    column_url = editor_page.url

    editor_page.get_by_role("link", name="Invite experts").click()
    editor_page.get_by_label(str(alice)).check()
    editor_page.get_by_label(str(bob)).check()
    deadline = timezone.make_aware(
        datetime.datetime.combine(
            timezone.localdate() + datetime.timedelta(days=4), datetime.time(17)
        )
    )
    editor_page.get_by_label("Answer deadline").fill(f"{deadline:%Y-%m-%dT%H:%M}")
    editor_page.get_by_role("button", name="Send invitations").click()

    said(editor_page, f"Invited {alice.name}, {bob.name}")
    expect(editor_page.locator(".column-status")).to_contain_text(
        f"Collecting answers · answers due {deadline:%a %b} {deadline.day}, 5:00 p.m."
    )
    expect(editor_page.locator(".column-answer")).to_have_count(2)
    picked = the_email(READER_EMAIL, "Your question was picked")
    assert status_url in open_links(reader, picked, site)
    expect(reader.locator(".standing")).to_have_text(
        f"Picked for the week of {next_week:%B} {next_week.day}"
    )

    # 3. Expert A sees only their invitation, writes with the live preview, drafts, submits.
    alice_page = staff_page(expert_a)
    invitations = alice_page.locator(".expert-landing table tbody tr")
    expect(invitations).to_have_count(1)
    expect(invitations).to_contain_text(title)
    invitation = the_email(expert_a.email, "Will you answer")
    [answer_link] = open_links(alice_page, invitation, site)
    expect(alice_page.locator("body")).to_contain_text("too personal?")
    expect(alice_page.locator("body")).not_to_contain_text("Dana Reader")
    expect(alice_page.locator("body")).not_to_contain_text(READER_EMAIL)

    alice_page.get_by_label("Headline").fill("Send A Thank-You Note ASAP")
    alice_page.locator("#id_body").fill(
        "Send a **thank-you note** by email the same day.\n\n"
        "- be brief\n- be specific\n\n"
        "Then connect on [LinkedIn](https://www.linkedin.com/), not Facebook."
    )
    preview = alice_page.locator(".markdownx-preview")
    expect(preview.locator("strong")).to_have_text("thank-you note")
    expect(preview.locator("li")).to_have_text(["be brief", "be specific"])
    expect(preview.get_by_role("link", name="LinkedIn")).to_have_attribute(
        "href", "https://www.linkedin.com/"
    )
    alice_page.get_by_role("button", name="Save draft").click()
    said(alice_page, "Draft saved.")

    alice_page.goto("/admin/")
    alice_page.locator(".expert-landing").get_by_role("link", name=title).click()
    assert alice_page.url == answer_link
    expect(alice_page.get_by_label("Headline")).to_have_value("Send A Thank-You Note ASAP")
    expect(alice_page.locator("#id_body")).to_have_value(re.compile(r"\*\*thank-you note\*\*"))
    alice_page.get_by_role("button", name="Submit to the editor").click()
    said(alice_page, "Submitted to the editor")

    # Expert B declines.
    bob_page = staff_page(expert_b)
    expect(bob_page.locator(".expert-landing table tbody tr")).to_have_count(1)
    bob_page.locator(".expert-landing").get_by_role("link", name=title).click()
    expect(bob_page.locator("body")).not_to_contain_text("Send A Thank-You Note ASAP")
    bob_page.get_by_label("Why you decline").fill("Travelling this week.")
    # Decline asks first: "Cancel" leaves the invitation open.
    browser_errors.accept_dialogs = False
    bob_page.get_by_role("button", name="Decline").click()
    assert browser_errors.dialogs[-1].startswith("Decline this invitation?")
    expect(bob_page.get_by_role("button", name="Decline")).to_be_visible()
    browser_errors.accept_dialogs = True
    bob_page.get_by_role("button", name="Decline").click()
    said(bob_page, "You declined")
    expect(bob_page.locator(".expert-landing table")).to_have_count(0)
    bob_invitation = the_email(expert_b.email, "Will you answer")
    open_links(bob_page, bob_invitation, site)

    # Everyone has answered: the editors get one summary linking to the column.
    summary = the_email(settings.EDITOR_EMAIL, "Ready for review")
    assert column_url in open_links(editor_page, summary, site)

    # 4. The editor approves A's answer, previews the column, publishes.
    alices = editor_page.locator(".column-answer", has_text=alice.name)
    expect(alices).to_contain_text("submitted")
    expect(editor_page.locator(".column-answer", has_text=bob.name)).to_contain_text("declined")
    alices.get_by_role("button", name="Approve").click()
    said(editor_page, f"Approved {alice.name}'s answer")

    with editor_page.expect_popup() as popup:
        editor_page.locator(".object-tools").get_by_role("link", name="Preview").click()
    preview_page = popup.value
    expect(preview_page.locator(".preview-banner")).to_contain_text("Readers cannot see this page")
    expect(preview_page.get_by_role("heading", level=1)).to_have_text(title)
    expect(preview_page.get_by_role("heading", name="Send A Thank-You Note ASAP")).to_be_visible()
    expect(preview_page.locator("article")).not_to_contain_text("Travelling this week")
    preview_page.close()

    editor_page.get_by_role("link", name="Schedule or publish").click()
    editor_page.get_by_role("button", name="Publish now").click()
    # The confirmation: the page as it will appear, and the emails it will send.
    expect(editor_page.locator("#confirm-title")).to_have_text("Publish this column now?")
    expect(editor_page.locator("#outgoing")).to_contain_text(READER_EMAIL)
    editor_page.locator(".confirm-form").get_by_role("button", name="Publish now").click()
    said(editor_page, "Published.")
    expect(editor_page.locator(".column-status")).to_contain_text("Published")

    # 5. The reader's status link says Published and links to the column.
    published = the_email(READER_EMAIL, "You’re published")
    open_links(reader, published, site)
    reader.goto(status_url)
    expect(reader.locator(".standing")).to_contain_text("Published")
    reader.locator(".standing").get_by_role("link", name=title).click()
    expect(reader.get_by_role("heading", level=1)).to_have_text(title)
    column_path = urlsplit(reader.url).path

    # The experts' emails: A is published; B, who declined, had only the invitation.
    alice_published = the_email(expert_a.email, "You’re published")
    assert f"{site}{column_path}" in open_links(alice_page, alice_published, site)
    # And, having signed in once from one browser, the notice of that sign-in.
    assert [m.subject for m in mail.outbox if expert_b.email in m.to] == [
        bob_invitation.subject,
        "Your account was used to sign in from a new browser",
    ]

    # 6. An anonymous visitor reads the column, in the source piece's order.
    visitor = browser_errors.watch(new_context()).new_page()
    visitor.goto(column_path)
    article = visitor.get_by_role("article")
    parts = [
        article.get_by_role("link", name="Job Interviews"),
        article.get_by_role("heading", level=1, name=title),
        article.get_by_text(dek),
        article.get_by_text("Each week, we choose one question from our readers"),
        article.locator("blockquote"),
        article.get_by_role("heading", level=2, name="Send A Thank-You Note ASAP"),
        article.locator(".byline").get_by_role("link", name=alice.name),
        article.locator("strong", has_text="thank-you note"),
        article.locator("li", has_text="be specific"),
        article.get_by_role("link", name="LinkedIn"),
    ]
    for part in parts:
        expect(part).to_be_visible()
    assert visitor.evaluate(IN_DOCUMENT_ORDER, [part.element_handle() for part in parts])
    expect(article.locator("blockquote")).to_contain_text("too personal?")
    expect(article.locator("blockquote")).to_contain_text("- D")
    expect(article).not_to_contain_text("Dana Reader")
    expect(article).not_to_contain_text(bob.name)
    expect(article.locator(".answer")).to_have_count(1)

    # ... follows the expert's name to the profile, which lists the answer ...
    article.locator(".byline").get_by_role("link", name=alice.name).click()
    expect(visitor).to_have_url(f"{site}/experts/alice/")
    expect(visitor.get_by_role("heading", level=1)).to_have_text(alice.name)
    expect(visitor.locator(".answer-list")).to_contain_text(title)

    # ... finds the column through search ...
    visitor.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
    visitor.get_by_label("Words to look for").fill("Facebook interviewer")
    visitor.get_by_role("button", name="Search").click()
    expect(visitor.get_by_role("status")).to_have_text("1 column found.")
    visitor.locator(".result").get_by_role("link", name=re.compile("Interviewer")).click()
    expect(visitor).to_have_url(f"{site}{column_path}")

    # ... and in the feed.
    feed = visitor.goto("/feed/")
    assert feed.status == 200
    assert "xml" in feed.headers["content-type"]
    feed_text = feed.text()
    assert f"<title>{title}</title>" in feed_text
    assert f"{site}{column_path}" in feed_text
