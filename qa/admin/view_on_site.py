"""
The admin's "View on site" redirect (``/admin/r/<content type>/<id>/``), scoped by role.

Django's own redirect checks only that the user is staff, then sends them to the object's
address, whatever the object: walking the ids would tell an expert every draft's slug. This
one answers an editor for any row the admin shows them; an expert only for what the public
site already shows and the expert's admin holds: a published column they were invited to, a
published profile (theirs or another's), a topic. Anything else is the same 404 as an id that
does not exist.
"""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect

from ..models import Answer, Category, Column, Expert
from ..roles import expert_of, is_editor


def _public_for_expert(user, obj):
    if isinstance(obj, Column):
        expert = expert_of(user)
        return (
            obj.is_public
            and expert is not None
            and Answer.objects.filter(column=obj, expert=expert).exists()
        )
    if isinstance(obj, Expert):
        return Expert.objects.published().filter(pk=obj.pk).exists()
    return isinstance(obj, Category)


def _row(model, object_id):
    try:
        return model._default_manager.filter(pk=object_id).first()
    except (ValueError, TypeError, ValidationError):
        return None


def view_on_site(request, content_type_id, object_id):
    content_type = ContentType.objects.filter(pk=content_type_id).first()
    model = content_type.model_class() if content_type is not None else None
    if model is None or not hasattr(model, "get_absolute_url"):
        raise Http404("No such page.")
    obj = _row(model, object_id)
    if obj is None:
        raise Http404("No such page.")
    if is_editor(request.user):
        if not admin.site.is_registered(model):
            raise Http404("No such page.")
        if not admin.site.get_model_admin(model).has_view_permission(request, obj):
            raise Http404("No such page.")
    elif not _public_for_expert(request.user, obj):
        raise Http404("No such page.")
    return redirect(obj.get_absolute_url())
