"""Staff sign-in in two steps: TOTP, recovery codes, enrolment, throttling, resets, new browsers."""

import datetime
import io
import re

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from qa.admin.signin import recovery_codes_issue
from qa.models import StaffBrowser, Transition

from .factories import EditorFactory, ExpertUserFactory

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def required(settings):
    settings.STAFF_2FA_REQUIRED = True


def password(client, username, address="203.0.113.1"):
    return client.post(
        "/admin/login/",
        {"username": username, "password": "pw", "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def code_now(device):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def enrolled(user):
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return device, recovery_codes_issue(user)


def signed_in(client):
    return SESSION_KEY in client.session


def test_without_a_device_and_not_required_the_password_is_enough_and_2fa_is_offered(client):
    editor = EditorFactory(username="maria")
    response = password(client, "maria")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert signed_in(client)
    page = client.get("/admin/")
    assert "set up two-factor sign-in" in page.text
    assert editor.pk


def test_an_editor_must_enrol_before_being_signed_in_when_it_is_required(client, clock, required):
    editor = EditorFactory(username="maria")
    response = password(client, "maria")
    assert response["Location"] == "/admin/login/enrol/"
    assert not signed_in(client)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")  # not half signed in

    page = client.get("/admin/login/enrol/")
    assert "<svg" in page.text and "otpauth" not in page.text  # the key is in the QR code
    key = re.search(r'class="two-factor-key">([A-Z2-7 ]+)<', page.text).group(1)
    device = TOTPDevice.objects.get(user=editor, confirmed=False)
    assert key.replace(" ", "") == __import__("base64").b32encode(device.bin_key).decode()

    wrong = client.post("/admin/login/enrol/", {"code": "000000"})
    assert "That code is not right" in wrong.text and not signed_in(client)
    clock.shift(datetime.timedelta(seconds=30))  # past the device's wait after a failure
    codes_page = client.post("/admin/login/enrol/", {"code": code_now(device)})
    codes = re.findall(r"<li><code>(\w+)</code></li>", codes_page.text)
    assert len(codes) == 10 and not signed_in(client)
    done = client.post("/admin/login/enrol/done/")
    assert done["Location"] == "/admin/" and signed_in(client)
    assert Transition.objects.filter(action="staff_2fa_enrol", by=editor).exists()


def test_an_expert_is_offered_not_forced(client, required):
    ExpertUserFactory(username="alice")
    assert password(client, "alice")["Location"] == "/admin/"
    assert signed_in(client)
    assert "set up two-factor sign-in" in client.get("/admin/").text


def test_with_a_device_the_code_is_the_second_step(client, clock):
    editor = EditorFactory(username="maria")
    device, codes = enrolled(editor)
    assert password(client, "maria")["Location"] == "/admin/login/code/"
    assert not signed_in(client)
    wrong = client.post("/admin/login/code/", {"code": "123456"})
    assert wrong.status_code == 200 and "That code is not right" in wrong.text
    assert not signed_in(client)
    clock.shift(datetime.timedelta(seconds=60))  # past the device's wait after a failure
    right = client.post("/admin/login/code/", {"code": code_now(device)})
    assert right["Location"] == "/admin/" and signed_in(client)


def test_a_recovery_code_works_once(clock):
    editor = EditorFactory(username="maria")
    _device, codes = enrolled(editor)
    first = Client()
    password(first, "maria")
    assert first.post("/admin/login/code/", {"code": codes[0]})["Location"] == "/admin/"
    second = Client()
    password(second, "maria")
    again = second.post("/admin/login/code/", {"code": codes[0]})
    assert again.status_code == 200 and not signed_in(second)
    assert StaticDevice.objects.get(user=editor).token_set.count() == 9


def test_wrong_codes_lock_the_account_like_wrong_passwords(client, clock, settings):
    editor = EditorFactory(username="maria")
    device, _codes = enrolled(editor)
    password(client, "maria")
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        clock.shift(datetime.timedelta(seconds=20))
        assert client.post("/admin/login/code/", {"code": f"00000{n}"}).status_code == 200
    clock.shift(datetime.timedelta(seconds=20))
    locked = client.post("/admin/login/code/", {"code": "999999"})
    assert locked.status_code == 429
    clock.shift(datetime.timedelta(seconds=40))
    # The right code, and the right password from elsewhere, are refused while locked.
    assert client.post("/admin/login/code/", {"code": code_now(device)}).status_code == 429
    assert password(Client(), "maria", address="192.0.2.9").status_code == 429
    assert not signed_in(client)


def test_the_second_step_expires(client, clock, settings):
    editor = EditorFactory(username="maria")
    device, _codes = enrolled(editor)
    password(client, "maria")
    clock.shift(datetime.timedelta(seconds=settings.SIGNIN_STEP_SECONDS + 1))
    late = client.post("/admin/login/code/", {"code": code_now(device)})
    assert late["Location"] == "/admin/login/" and not signed_in(client)


def test_a_new_browser_emails_the_owner_once(django_capture_on_commit_callbacks):
    EditorFactory(username="maria", email="maria@example.com")
    browser = Client(HTTP_USER_AGENT="Firefox/140 <script>")
    with django_capture_on_commit_callbacks(execute=True):
        password(browser, "maria")
    with django_capture_on_commit_callbacks(execute=True):
        password(browser, "maria")  # the same browser again: no email
    with django_capture_on_commit_callbacks(execute=True):
        password(Client(HTTP_USER_AGENT="Safari/18"), "maria")
    emails = [m for m in mail.outbox if m.to == ["maria@example.com"]]
    assert [m.subject for m in emails] == [
        "Your account was used to sign in from a new browser"
    ] * 2
    assert "Firefox/140 <script>" in emails[0].body and "Safari/18" in emails[1].body
    assert StaffBrowser.objects.count() == 2


def test_an_editor_resets_a_lost_device_and_the_history_says_so(client):
    editor = EditorFactory(username="maria")
    expert = ExpertUserFactory(username="alice")
    enrolled(expert)
    client.force_login(editor)
    page = client.get("/admin/two-factor/staff/")
    assert "alice" in page.text
    confirm = client.post("/admin/two-factor/staff/", {"user": expert.pk})
    assert "Reset two-factor sign-in for <strong>alice</strong>?" in confirm.text
    assert TOTPDevice.objects.filter(user=expert).exists()  # not before the confirmation
    client.post("/admin/two-factor/staff/", {"user": expert.pk, "confirm": "yes"})
    assert not TOTPDevice.objects.filter(user=expert).exists()
    assert not StaticDevice.objects.filter(user=expert).exists()
    entry = Transition.objects.get(action="staff_2fa_reset")
    assert entry.by == editor and "alice" in entry.note

    other = Client()
    other.force_login(expert)
    assert other.get("/admin/two-factor/staff/").status_code == 403
    assert other.post("/admin/two-factor/staff/", {"user": editor.pk}).status_code == 403


def test_manage_py_resets_a_lost_device(settings):
    editor = EditorFactory(username="maria")
    enrolled(editor)
    out = io.StringIO()
    settings.STAFF_2FA_REQUIRED = True
    call_command("reset_2fa", "maria", stdout=out)
    assert "must set it up again at their next sign-in" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=editor).exists()
    entry = Transition.objects.get(action="staff_2fa_reset")
    assert entry.by is None and "manage.py" in entry.note
    with pytest.raises(Exception, match="No account named"):
        call_command("reset_2fa", "nobody")


def test_own_page_makes_new_recovery_codes(client):
    editor = EditorFactory(username="maria")
    _device, old = enrolled(editor)
    client.force_login(editor)
    assert "Recovery codes left: 10" in client.get("/admin/two-factor/").text
    page = client.post("/admin/two-factor/", {"action": "codes"})
    new = re.findall(r"<li><code>(\w+)</code></li>", page.text)
    assert len(new) == 10 and not set(new) & set(old)
