"""
The two staff roles. Editors run the column; experts answer the questions they are invited to.

Both use the one admin at /admin/. What each may see is decided here, once, and the admin
classes ask.
"""

from django.contrib.auth.models import Group

EDITORS = "Editors"
EXPERTS = "Experts"


def _group_names(user):
    # Cached on the user object: the admin asks many times per request.
    if not hasattr(user, "_qa_group_names"):
        user._qa_group_names = (
            set(user.groups.values_list("name", flat=True)) if user.is_authenticated else set()
        )
    return user._qa_group_names


def is_editor(user):
    """Superusers and members of Editors: full access to the column's work."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or EDITORS in _group_names(user)


def is_expert(user):
    """A staff user in Experts, linked to an Expert profile, and not an editor."""
    if not (user.is_authenticated and user.is_active and user.is_staff) or is_editor(user):
        return False
    return EXPERTS in _group_names(user) and expert_of(user) is not None


def expert_of(user):
    """The Expert profile linked to this login, or None."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_qa_expert"):
        from .models import Expert

        user._qa_expert = Expert.objects.filter(user=user).first()
    return user._qa_expert


def add_to_group(user, name):
    user.groups.add(Group.objects.get(name=name))
    user.__dict__.pop("_qa_group_names", None)
