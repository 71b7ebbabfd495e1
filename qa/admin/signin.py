"""
Staff sign-in in two steps: the password (the admin's own form, throttled by django-axes),
then a code from an authenticator app or a recovery code (django-otp: TOTP and static
devices). Nobody is signed in until both steps pass: between them the session holds only who
is half-way, for SIGNIN_STEP_SECONDS.

- A staff member with a confirmed device always gets the second step.
- An editor without one, when STAFF_2FA_REQUIRED is on (the default in production), enrols
  before they are signed in: the enrolment page is their second step.
- An expert (or any staff member while it is not required) is offered enrolment after
  signing in, and can enrol from "Two-factor sign-in" at any time.
- A wrong code counts as a failed sign-in for django-axes, so the account and the address
  lock as after wrong passwords; the TOTP device also makes each try wait longer.
- A lost device is reset by an editor ("Staff two-factor") or ``manage.py reset_2fa``, and
  the reset is recorded in the history.
- Signing in from a browser this account has not used before sends its owner an email.
"""

import base64
import hashlib
import io
import secrets
import time

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model, login, user_login_failed
from django.core import signing
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import devices_for_user, match_token, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..emails import absolute_url, email_enqueue
from ..models import StaffBrowser
from ..roles import is_editor
from ..services.history import transition_record
from .lockout import signin_locked_out

PENDING = "signin_pending"
ENROLLING = "signin_enrolling_device"
BROWSER_COOKIE = "panel_browser"
BROWSER_SALT = "qa.admin.signin.browser"
RECOVERY_CODES = 10


def second_factor_required(user):
    """Editors must have a second factor when STAFF_2FA_REQUIRED is on."""
    return settings.STAFF_2FA_REQUIRED and is_editor(user)


def _next_url(request):
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("admin:index")


def _context(request, **extra):
    # No navigation sidebar: half-way through signing in, there is nothing to navigate to.
    return {
        **admin.site.each_context(request),
        "site_header": admin.site.site_header,
        "is_nav_sidebar_enabled": False,
        **extra,
    }


# -- the half-way state ----------------------------------------------------------------------


def _pending_start(request, user, next_url):
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk,
        "backend": user.backend,
        "at": time.time(),
        "next": next_url,
    }


def _pending_user(request):
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending.get("at", 0) > settings.SIGNIN_STEP_SECONDS:
        request.session.pop(PENDING, None)
        return None, None
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True, is_staff=True)
    user = user.first()
    if user is None:
        return None, None
    user.backend = pending["backend"]
    return user, pending


def _locked(request, user):
    return AxesProxyHandler.is_locked(request, {"username": user.get_username()})


# -- completing a sign-in --------------------------------------------------------------------


def _browser_id(request):
    try:
        return signing.loads(request.COOKIES.get(BROWSER_COOKIE, ""), salt=BROWSER_SALT)
    except signing.BadSignature:
        return None


def _complete(request, user, next_url):
    """Sign ``user`` in, note the browser (emailing the owner if it is new), and go on."""
    request.session.pop(PENDING, None)
    request.session.pop(ENROLLING, None)
    login(request, user, backend=user.backend)
    browser = _browser_id(request) or secrets.token_urlsafe(24)
    digest = hashlib.sha256(f"{user.pk}:{browser}".encode()).hexdigest()
    known, created = StaffBrowser.objects.get_or_create(
        user=user, digest=digest, defaults={"user_agent": _agent(request)}
    )
    if not created:
        StaffBrowser.objects.filter(pk=known.pk).update(last_seen=timezone.now())
    elif user.email:
        email_enqueue(
            key=f"signin-new-browser:{user.pk}:{digest[:32]}",
            to=user.email,
            subject="Your account was used to sign in from a new browser",
            template="signin_new_browser",
            context={
                "username": user.get_username(),
                "when": timezone.localtime().strftime("%B %-d, %Y at %-I:%M %p %Z"),
                "browser": known.user_agent,
                "password_url": absolute_url(reverse("admin:password_change")),
            },
        )
    if not user_has_device(user) and not second_factor_required(user):
        messages.info(
            request,
            mark_safe(  # noqa: S308 (our own text and URL)
                "Protect your account with a second step at sign-in: "
                f'<a href="{reverse("signin_two_factor")}">set up two-factor sign-in</a>.'
            ),
        )
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        BROWSER_COOKIE,
        signing.dumps(browser, salt=BROWSER_SALT),
        max_age=400 * 24 * 60 * 60,
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    return response


def _agent(request):
    text = request.META.get("HTTP_USER_AGENT", "") or "an unknown browser"
    return "".join(char for char in text if char.isprintable())[:200]


# -- step one: the password ------------------------------------------------------------------


@sensitive_post_parameters()
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def signin(request):
    """The admin's sign-in form; the second step follows when the account has or needs one."""
    if request.method == "GET" and admin.site.has_permission(request):
        return redirect(_next_url(request))
    form = AdminAuthenticationForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        next_url = _next_url(request)
        if user_has_device(user):
            _pending_start(request, user, next_url)
            return redirect("signin_code")
        if second_factor_required(user):
            _pending_start(request, user, next_url)
            return redirect("signin_enrol")
        return _complete(request, user, next_url)
    context = _context(
        request,
        form=form,
        title="Log in",
        app_path=request.get_full_path(),
        username=request.user.get_username(),
        next=request.GET.get("next", ""),
    )
    return render(request, "admin/login.html", context)


# -- step two: the code ----------------------------------------------------------------------


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The 6 digits your authenticator app shows now, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


@sensitive_post_parameters()
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def signin_code(request):
    """The second step: a code from the authenticator app, or a recovery code (used once)."""
    user, pending = _pending_user(request)
    if user is None:
        messages.warning(request, "Sign in again: the first step has expired.")
        return redirect("admin:login")
    if _locked(request, user):
        return signin_locked_out(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = "".join(form.cleaned_data["code"].split())
        if match_token(user, code) is not None:
            return _complete(request, user, pending["next"])
        user_login_failed.send(
            sender=__name__, credentials={"username": user.get_username()}, request=request
        )
        if _locked(request, user):
            return signin_locked_out(request)
        form.add_error("code", "That code is not right, or it has expired. Try the one shown now.")
    return render(
        request,
        "admin/signin_code.html",
        _context(request, form=form, title="Two-factor sign-in", username=user.get_username()),
    )


# -- enrolment -------------------------------------------------------------------------------


def _qr_svg(url):
    import qrcode
    import qrcode.image.svg

    out = io.BytesIO()
    qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).save(out)
    return out.getvalue().decode()


def _enrolling_device(request, user):
    device = TOTPDevice.objects.filter(
        pk=request.session.get(ENROLLING), user=user, confirmed=False
    ).first()
    if device is None:
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
        request.session[ENROLLING] = device.pk
    return device


def recovery_codes_issue(user):
    """Replace the user's recovery codes with RECOVERY_CODES new ones, returned once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@sensitive_post_parameters()
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def signin_enrol(request):
    """
    Set up the authenticator app: scan the QR code (or type the key), then confirm with the
    code it shows. For an editor who must enrol, this is the second step of signing in; for a
    signed-in staff member, it is offered from "Two-factor sign-in".
    """
    if request.user.is_authenticated and request.user.is_staff:
        user, pending = request.user, None
    else:
        user, pending = _pending_user(request)
        if user is None:
            return redirect("admin:login")
        if _locked(request, user):
            return signin_locked_out(request)
    if user_has_device(user):
        return redirect("signin_two_factor" if pending is None else "signin_code")
    device = _enrolling_device(request, user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = "".join(form.cleaned_data["code"].split())
        with transaction.atomic():
            if device.verify_token(code):
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                codes = recovery_codes_issue(user)
                transition_record(
                    action="staff_2fa_enrol",
                    by=user,
                    note=f"{user.get_username()} set up two-factor sign-in.",
                )
                confirmed = True
            else:
                confirmed = False
        if confirmed:
            next_url = pending["next"] if pending else reverse("signin_two_factor")
            request.session.pop(ENROLLING, None)
            request.session["signin_codes_next"] = next_url
            return render(
                request,
                "admin/signin_codes.html",
                _context(request, title="Your recovery codes", codes=codes, finish=pending),
            )
        if pending:
            user_login_failed.send(
                sender=__name__, credentials={"username": user.get_username()}, request=request
            )
            if _locked(request, user):
                return signin_locked_out(request)
        form.add_error("code", "That code is not right. Type the 6 digits the app shows now.")
    url = device.config_url
    key = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "admin/signin_enrol.html",
        _context(
            request,
            form=form,
            title="Set up two-factor sign-in",
            qr=mark_safe(_qr_svg(url)),  # noqa: S308 (qrcode's own SVG of our URL)
            key=" ".join(key[i : i + 4] for i in range(0, len(key), 4)),
            required=pending is not None,
            username=user.get_username(),
        ),
    )


@require_POST
@csrf_protect
@never_cache
def signin_enrol_finish(request):
    """After the recovery codes: an editor enrolling at sign-in is now signed in."""
    user, pending = _pending_user(request)
    if user is not None and user_has_device(user):
        return _complete(request, user, pending["next"])
    return redirect(request.session.pop("signin_codes_next", None) or "admin:index")


# -- the account's page, and the editors' reset of a lost device -----------------------------


def _staff_only(view):
    return admin.site.admin_view(view)


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """A staff member's own two-factor settings: state, enrol, new recovery codes."""
    user = request.user
    if request.method == "POST" and request.POST.get("action") == "codes":
        if not user_has_device(user):
            return redirect("signin_two_factor")
        codes = recovery_codes_issue(user)
        transition_record(
            action="staff_2fa_codes",
            by=user,
            note=f"{user.get_username()} made new recovery codes.",
        )
        return render(
            request,
            "admin/signin_codes.html",
            _context(request, title="Your recovery codes", codes=codes, finish=None),
        )
    static = StaticDevice.objects.filter(user=user).first()
    return render(
        request,
        "admin/two_factor.html",
        _context(
            request,
            title="Two-factor sign-in",
            enrolled=TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
            codes_left=static.token_set.count() if static else 0,
            required=second_factor_required(user),
        ),
    )


def two_factor_reset(user, *, by=None, how):
    """
    Take away a staff member's second factor (a lost phone): they enrol again at their next
    sign-in if it is required, else when they choose. Recorded in the history.
    """
    with transaction.atomic():
        removed = sum(device.delete()[0] > 0 for device in devices_for_user(user, confirmed=None))
        transition_record(
            action="staff_2fa_reset",
            by=by,
            note=f"Two-factor sign-in reset for {user.get_username()} ({how}).",
        )
    return removed


@never_cache
@require_http_methods(["GET", "POST"])
def staff_two_factor(request):
    """Editors: every staff account's two-factor state, and a reset for a lost device."""
    if not is_editor(request.user):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    staff = get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username")
    if request.method == "POST":
        target = get_object_or_404(staff, pk=request.POST.get("user"))
        if request.POST.get("confirm") == "yes":
            two_factor_reset(target, by=request.user, how=f"by {request.user.get_username()}")
            messages.success(
                request,
                f"Two-factor sign-in reset for {target.get_username()}: they set it up again "
                "at their next sign-in.",
            )
            return redirect("signin_staff_two_factor")
        return render(
            request,
            "admin/two_factor_reset.html",
            _context(request, title="Reset two-factor sign-in?", target=target),
        )
    enrolled = set(
        TOTPDevice.objects.filter(confirmed=True, user__in=staff).values_list("user", flat=True)
    )
    rows = [
        {
            "user": user,
            "enrolled": user.pk in enrolled,
            "required": second_factor_required(user),
        }
        for user in staff
    ]
    return render(
        request,
        "admin/two_factor_staff.html",
        _context(request, title="Staff two-factor sign-in", rows=rows),
    )


def urls():
    """The sign-in's URLs, placed before the admin's own in ``panel/urls.py``."""
    from django.urls import path

    return [
        path("admin/login/", signin, name="signin"),
        path("admin/login/code/", signin_code, name="signin_code"),
        path("admin/login/enrol/", signin_enrol, name="signin_enrol"),
        path("admin/login/enrol/done/", signin_enrol_finish, name="signin_enrol_finish"),
        path("admin/two-factor/", _staff_only(two_factor), name="signin_two_factor"),
        path(
            "admin/two-factor/staff/",
            _staff_only(staff_two_factor),
            name="signin_staff_two_factor",
        ),
    ]
