"""Staff accounts for the two roles."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import slugify

from ..models import Expert
from ..pagecache import pages_changed
from ..roles import EDITORS, EXPERTS, add_to_group


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
