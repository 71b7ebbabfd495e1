"""Staff accounts for the two roles."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import models, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from ..emails import absolute_url, email_enqueue, secret_digest
from ..models import Expert
from ..pagecache import pages_changed
from ..roles import EDITORS, EXPERTS, add_to_group
from .errors import TransitionNotAllowed
from .history import transition_record


class AccountExists(Exception):
    pass


def _staff_user_ensure(*, username, email, password, group, exists_ok):
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is not None and not exists_ok:
        raise AccountExists(f"A user named {username!r} already exists.")
    if user is None:
        user = User(username=username)
    user.email = email or user.email
    user.is_staff = True
    user.is_active = True
    user.set_password(password)
    user.save()
    add_to_group(user, group)
    return user


@transaction.atomic
def editor_account_ensure(*, username, password, email="", exists_ok=False):
    """An editor: a staff user in Editors, with every permission on the column's work."""
    return _staff_user_ensure(
        username=username, email=email, password=password, group=EDITORS, exists_ok=exists_ok
    )


def unique_expert_slug(name, exclude_pk=None):
    base = slugify(name)[:120] or "expert"
    slug, n = base, 2
    while Expert.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def expert_account_ensure(
    *,
    username,
    password,
    name,
    email="",
    company="",
    company_url="",
    categories=(),
    exists_ok=False,
):
    """
    An expert who can sign in: a staff user in Experts linked to an Expert profile. An existing
    profile with the same name and company (say, imported from the back catalogue) is linked
    rather than duplicated.
    """
    user = _staff_user_ensure(
        username=username, email=email, password=password, group=EXPERTS, exists_ok=exists_ok
    )
    expert = (
        Expert.objects.filter(user=user).first()
        or Expert.objects.filter(name=name, company=company, user__isnull=True).first()
        or Expert(name=name, company=company, slug=unique_expert_slug(name))
    )
    expert.user = user
    expert.company_url = company_url or expert.company_url
    expert.save()
    if categories:
        expert.categories.add(*categories)
    pages_changed(expert=expert)  # the panel page lists every active expert
    return expert


# -- the panel's front door -------------------------------------------------------------------


class PanelInvitationTokens(PasswordResetTokenGenerator):
    """
    One-time links to join the panel: Django's password-reset tokens under a salt of their
    own, so a reset link cannot stand in for an invitation or the other way round. A token
    is spent when the password is set (it hashes the password) and expires after
    ``PASSWORD_RESET_TIMEOUT``.
    """

    key_salt = "qa.services.accounts.PanelInvitationTokens"


panel_invitation_tokens = PanelInvitationTokens()


class ExpertAccount(models.TextChoices):
    BYLINE = "byline", _("byline (no login)")
    PENDING = "pending", _("pending: has not set a password")
    MEMBER = "member", _("panel member")
    INACTIVE = "inactive", _("inactive")


def expert_account_state(expert):
    """Where ``expert`` stands: a byline, invited and pending, a member, or inactive."""
    user = expert.user
    if user is None:
        return ExpertAccount.BYLINE
    if not expert.is_active or not user.is_active:
        return ExpertAccount.INACTIVE
    if not user.has_usable_password():
        return ExpertAccount.PENDING
    return ExpertAccount.MEMBER


def _username_for(email):
    User = get_user_model()
    base = slugify(email.split("@")[0])[:140] or "expert"
    username, n = base, 2
    while User.objects.filter(username=username).exists():
        username, n = f"{base}{n}", n + 1
    return username


def email_in_use(email, *, exclude_user=None):
    """True when another login already has ``email`` (compared without case)."""
    others = get_user_model().objects.filter(email__iexact=email.strip())
    if exclude_user is not None:
        others = others.exclude(pk=exclude_user.pk)
    return others.exists()


@transaction.atomic
def expert_email_set(*, expert, email, by):
    """
    Give ``expert`` this email. A byline gets a login of its own in Experts, with no usable
    password until they accept their invitation to the panel; nobody is emailed yet.
    """
    email = email.strip()
    if not email:
        raise TransitionNotAllowed("A panel member needs an email address.", field="email")
    expert = Expert.objects.select_for_update(of=("self",)).select_related("user").get(pk=expert.pk)
    user = expert.user
    if email_in_use(email, exclude_user=user):
        raise TransitionNotAllowed("Another account already uses this email.", field="email")
    if user is not None:
        if user.email != email:
            user.email = email
            user.save(update_fields=["email"])
        return expert
    user = get_user_model()(username=_username_for(email), email=email, is_staff=True)
    user.set_unusable_password()
    user.save()
    add_to_group(user, EXPERTS)
    expert.user = user
    expert.save(update_fields=["user", "updated_at"])
    transition_record(action="expert_login_create", by=by, note=expert.name)
    # Invited and not yet joined: off the public panel unless an answer of theirs is published.
    pages_changed(expert=expert)
    return expert


def expert_panel_joined(*, user):
    """
    ``user`` has set the password of their invitation: their profile joins the public panel.
    Call it in the transaction that saves the password.
    """
    expert = Expert.objects.filter(user=user).first()
    if expert is None:
        return None
    transition_record(action="expert_panel_join", by=user, note=expert.name)
    pages_changed(expert=expert)  # the panel page lists its members
    return expert


def expert_panel_invite(*, expert, by):
    """
    Email ``expert`` a one-time link to set a password and join the panel. Refused for a
    byline with no email, an inactive expert, and a member who has already joined (they
    reset a forgotten password from the sign-in page).
    """
    with transaction.atomic():
        expert = (
            Expert.objects.select_for_update(of=("self",)).select_related("user").get(pk=expert.pk)
        )
        state = expert_account_state(expert)
        if state == ExpertAccount.BYLINE:
            raise TransitionNotAllowed(
                f"{expert.name} is a byline: add their email first.", field="email"
            )
        if state == ExpertAccount.INACTIVE:
            raise TransitionNotAllowed(f"{expert.name} is inactive; reactivate them first.")
        if state == ExpertAccount.MEMBER:
            raise TransitionNotAllowed(
                f"{expert.name} has already joined the panel. A forgotten password is reset "
                "from the sign-in page."
            )
        user = expert.user
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = panel_invitation_tokens.make_token(user)
        transition_record(action="expert_panel_invite", by=by, note=f"{expert.name} <{user.email}>")
        email_enqueue(
            key=f"panel-invitation:{user.pk}:{secret_digest(token)}",
            to=user.email,
            subject="You are invited to join our expert panel",
            template="panel_invitation",
            context={
                "expert": expert.name,
                "username": user.get_username(),
                "welcome_url": absolute_url(reverse("panel_welcome", args=[uid, token])),
                "days": settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60),
            },
            one_time_link=True,
        )
    return expert


def _set_active(*, expert, active, by):
    with transaction.atomic():
        expert = (
            Expert.objects.select_for_update(of=("self",)).select_related("user").get(pk=expert.pk)
        )
        user = expert.user
        if expert.is_active == active and (user is None or user.is_active == active):
            return expert
        expert.is_active = active
        expert.save(update_fields=["is_active", "updated_at"])
        if user is not None:
            user.is_active = active
            user.save(update_fields=["is_active"])
        pages_changed(expert=expert)  # the panel page lists the active experts
        transition_record(
            action="expert_reactivate" if active else "expert_deactivate",
            by=by,
            note=expert.name,
        )
    return expert


def expert_deactivate(*, expert, by):
    """Take ``expert`` off the panel: they cannot sign in or be invited; published answers stay."""
    return _set_active(expert=expert, active=False, by=by)


def expert_reactivate(*, expert, by):
    """Bring ``expert`` back on the panel, with the login they had."""
    return _set_active(expert=expert, active=True, by=by)
