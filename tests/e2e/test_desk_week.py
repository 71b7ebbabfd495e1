"""
The week through the editors' desk, with no shell step: the editor adds a new expert, who gets
the email, joins the panel, completes their profile and answers; a byline is refused as an
invitee; the editor publishes through the confirmation page, unpublishes, and publishes again.
Screenshots of the desk, the onboarding and the confirmation page at 1280 and 375 px.
"""

import re

from django.core import mail
from PIL import Image
from playwright.sync_api import expect

from ..factories import CategoryFactory, ExpertFactory, QuestionFactory
from .test_week import READER_EMAIL, said, the_email

RUTH = "ruth@tannahill.example"
LETTER = (
    "My manager offered me a promotion, but it comes with no raise and longer hours. I have "
    "been in the role for three years. Should I accept a promotion without a raise?"
)
WELCOME = re.compile(r"https?://\S+/admin/welcome/\S+/")


def test_the_week_through_the_desk(
    page,
    staff_page,
    new_context,
    browser_errors,
    editor,
    live_server,
    settings,
    screenshot,
    tmp_path,
):
    settings.SITE_URL = live_server.url
    category = CategoryFactory(name="Salary", slug="salary")
    byline = ExpertFactory(name="Bea Byline", company="Archive Inc")
    byline.categories.add(category)
    QuestionFactory(
        body=LETTER, category=category, name="Dana Reader", email=READER_EMAIL, signature="D"
    )

    # The editor's front page is the desk.
    desk = staff_page(editor)
    expect(desk.locator("#desk-needs-title")).to_have_text("Needs you now")
    expect(desk.locator(".desk-needs")).to_contain_text("1 new question")

    # 1. The editor adds an expert and invites them to the panel.
    desk.locator(".desk-links").get_by_role("link", name="Add an expert").click()
    desk.get_by_label("Name:").fill("Ruth Tannahill")
    desk.get_by_label("Email:").fill(RUTH)
    desk.get_by_label("Company:").fill("Tannahill Careers")
    desk.get_by_role("button", name="Save", exact=True).click()
    said(desk, "Added Ruth Tannahill")
    expect(desk.locator(".expert-account")).to_contain_text("pending")
    desk.get_by_role("button", name="Invite to the panel").click()
    assert browser_errors.dialogs[-1] == "Email Ruth Tannahill a one-time link to join the panel?"
    said(desk, "Emailed Ruth Tannahill a link to join the panel")

    # 2. Ruth follows the link, chooses a password and completes her profile.
    invitation = the_email(RUTH, "join our expert panel")
    ruth = browser_errors.watch(new_context()).new_page()
    ruth.goto(WELCOME.search(invitation.body).group(0))
    expect(ruth.get_by_role("heading", level=1)).to_have_text("Welcome to the panel")
    screenshot(ruth, "admin-onboarding-password")
    ruth.get_by_label("Password:", exact=True).fill("a long panel password 2026")
    ruth.get_by_label("Password again:").fill("a long panel password 2026")
    ruth.get_by_role("button", name="Join the panel").click()
    said(ruth, "Welcome to the panel. Add a short bio and a headshot")
    screenshot(ruth, "admin-onboarding-profile")
    ruth.get_by_label("Bio:").fill("Ruth coaches people through pay talks.")
    headshot = tmp_path / "ruth.png"
    Image.new("RGB", (400, 400), (180, 120, 90)).save(headshot)
    ruth.locator("input[type=file][name=headshot]").set_input_files(headshot)
    ruth.get_by_role("button", name="Save", exact=True).click()
    said(ruth, "was changed successfully")

    # 3. The editor picks the question; the byline is not offered, Ruth is invited.
    desk.goto("/admin/")
    desk.locator(".desk-needs").get_by_role("link", name="1 new question").click()
    row = desk.locator("#result_list tbody tr", has_text="My manager offered me")
    row.get_by_role("checkbox").check()
    desk.locator("select[name=action]").select_option("pick_for_week")
    desk.get_by_role("button", name="Run", exact=True).click()
    expect(desk.get_by_label("Proposed title")).to_have_value(
        "Should I accept a promotion without a raise?"
    )
    desk.get_by_role("button", name="Pick this question").click()
    expect(desk.locator(".not-invitable")).to_contain_text("Bea Byline is a byline, with no login")
    expect(desk.get_by_label("Bea Byline (Archive Inc)")).to_have_count(0)
    desk.get_by_label("Ruth Tannahill (Tannahill Careers)").check()
    desk.get_by_role("button", name="Send invitations").click()
    said(desk, "Invited Ruth Tannahill")
    column_url = desk.url

    # 4. Ruth answers from her invitations.
    ruth.goto("/admin/")
    ruth.locator(".expert-landing").get_by_role("link", name="Should I accept").click()
    ruth.get_by_label("Headline").fill("Take It, Then Ask")
    ruth.locator("#id_body").fill("Accept, and **put a date** on the raise talk.")
    ruth.get_by_role("button", name="Submit to the editor").click()
    said(ruth, "Submitted to the editor")

    # 5. The editor approves and publishes through the confirmation page.
    desk.goto("/admin/")
    expect(desk.locator(".desk-week")).to_contain_text("Should I accept a promotion")
    expect(desk.locator(".desk-needs")).to_contain_text("1 answer to review")
    screenshot(desk, "admin-desk")
    desk.locator(".desk-needs").get_by_role("link", name=re.compile("Ruth Tannahill")).click()
    desk.locator(".column-answer", has_text="Ruth Tannahill").get_by_role(
        "button", name="Approve"
    ).click()
    said(desk, "Approved Ruth Tannahill's answer")
    desk.get_by_role("link", name="Schedule or publish").click()
    desk.get_by_role("button", name="Publish now").click()
    expect(desk.locator("#confirm-title")).to_have_text("Publish this column now?")
    outgoing = desk.locator("#outgoing")
    expect(outgoing).to_contain_text(READER_EMAIL)
    expect(outgoing).to_contain_text(RUTH)
    screenshot(desk, "admin-publish-confirmation")
    desk.locator(".confirm-form").get_by_role("button", name="Publish now").click()
    said(desk, "Published. 2 emails are on their way.")
    the_email(RUTH, "You’re published")
    sent = len(mail.outbox)

    # 6. Unpublished, the page answers 404; published again, nobody is emailed twice.
    desk.locator(".object-tools").get_by_role("link", name="View on site").click()
    column_path = desk.url.removeprefix(live_server.url)
    desk.goto(column_url)
    desk.locator(".object-tools").get_by_role("link", name="Unpublish").click()
    desk.get_by_label("Why (kept in the history):").fill("Wrong week")
    desk.get_by_role("button", name="Unpublish").click()
    said(desk, "Unpublished: the column is back in review")
    browser_errors.allow(re.escape(column_path) + r".*404")
    assert page.goto(column_path).status == 404
    desk.get_by_role("link", name="Schedule or publish").click()
    desk.get_by_role("button", name="Publish now").click()
    expect(desk.locator(".confirm-panel")).to_contain_text("publishing it again emails nobody")
    desk.locator(".confirm-form").get_by_role("button", name="Publish now").click()
    said(desk, "Published. Nobody was emailed.")
    assert page.goto(column_path).status == 200
    assert len(mail.outbox) == sent
    expect(desk.locator(".column-history")).to_contain_text("unpublished the column")
