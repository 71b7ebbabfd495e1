"""An editor enrols in two-factor sign-in at their first sign-in, then signs in with a code."""

import base64
import re
import time

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from ..factories import EditorFactory
from .conftest import SCREENSHOTS


def code(key, *, steps_ahead=0):
    totp = TOTP(key)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def password_step(page, username):
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Log in").click()


@pytest.fixture
def required(settings):
    settings.STAFF_2FA_REQUIRED = True


def test_an_editor_enrols_signs_in_with_a_code_and_is_refused_a_wrong_one(page, required):
    EditorFactory(username="maria")
    password_step(page, "maria")
    page.wait_for_url(re.compile(r"/admin/login/enrol/$"))
    expect(page.locator(".two-factor-qr svg")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "signin-enrol.png", full_page=True)
    key = base64.b32decode(page.locator(".two-factor-key").inner_text().replace(" ", ""))

    page.get_by_role("textbox", name="Code").fill(code(key))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.screenshot(path=SCREENSHOTS / "signin-recovery-codes.png", full_page=True)
    page.get_by_role("button", name="I have kept them: continue").click()
    page.wait_for_url(re.compile(r"/admin/$"))

    page.get_by_role("button", name="Log out").click()
    password_step(page, "maria")
    page.wait_for_url(re.compile(r"/admin/login/code/$"))
    page.get_by_role("textbox", name="Code").fill("000000" if code(key) != "000000" else "111111")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator(".errornote")).to_contain_text("That code is not right")
    page.screenshot(path=SCREENSHOTS / "signin-wrong-code.png", full_page=True)
    page.goto("/admin/")
    page.wait_for_url(re.compile(r"/admin/login/"))  # still not signed in

    password_step(page, "maria")
    page.wait_for_url(re.compile(r"/admin/login/code/$"))
    time.sleep(1.1)  # the device's wait after one wrong code
    # The enrolment used this 30-second step's code; a code is good once.
    page.get_by_role("textbox", name="Code").fill(code(key, steps_ahead=1))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("link", name="Two-factor sign-in", exact=True)).to_be_visible()
