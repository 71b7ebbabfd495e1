"""
The panel in the admin. Editors add experts (name, email, company, link, categories), invite
them to the panel with a one-time link, and deactivate or reactivate them; each record shows
whether it is a byline, a pending invitation, a member or inactive. An expert sees and edits
only their own profile ("My profile").
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from ..images import headshot_reencode
from ..models import Expert
from ..roles import is_editor
from ..services import TransitionNotAllowed, expert_profile_changed
from ..services.accounts import (
    ExpertAccount,
    email_in_use,
    expert_account_state,
    expert_deactivate,
    expert_email_set,
    expert_panel_invite,
    expert_reactivate,
)
from .pages import PublicPagesAdmin
from .scoping import ExpertScopedAdmin


class HeadshotField(forms.ImageField):
    """An ImageField that checks by content, size and pixels, and stores a clean re-encode."""

    def to_python(self, data):
        if data in self.empty_values:
            return None
        return headshot_reencode(data)


class ExpertForm(forms.ModelForm):
    """The expert profile form in the admin, with the headshot checked and stripped."""

    class Meta:
        model = Expert
        fields = ["name", "slug", "company", "company_url", "bio", "headshot", "categories"]
        field_classes = {"headshot": HeadshotField}


class EditorExpertForm(ExpertForm):
    """The editors' form: the profile and the email the expert signs in with."""

    email = forms.EmailField(
        label=_("email"),
        required=False,
        help_text=_(
            "Where invitations go. Without one the expert is a byline: shown with their "
            "answers, never invited. Nobody is emailed until you press “Invite to the panel”."
        ),
    )

    class Meta(ExpertForm.Meta):
        fields = ["name", "email", *ExpertForm.Meta.fields[1:]]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.instance.user if self.instance.pk else None
        if user is not None:
            self.initial.setdefault("email", user.email)

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        user = self.instance.user if self.instance.pk else None
        if not email and user is not None:
            raise forms.ValidationError(
                _("A panel member needs an email; deactivate them instead."), code="required"
            )
        if email and email_in_use(email, exclude_user=user):
            raise forms.ValidationError(
                _("Another account already uses this email."), code="unique"
            )
        return email


# What an expert may change on their own profile.
EXPERT_PROFILE_FIELDS = ["bio", "company", "company_url", "headshot"]


@admin.register(Expert)
class ExpertAdmin(PublicPagesAdmin, ExpertScopedAdmin):
    """Editors keep the panel; an expert sees and edits only their own profile ("My profile")."""

    expert_lookup = ""
    form = ExpertForm
    search_fields = ["name", "company", "user__email"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["categories"]
    list_select_related = ["user"]
    change_form_template = "admin/qa/expert/change_form.html"
    actions = ["invite_to_panel", "deactivate", "reactivate"]

    def public_change(self, obj):
        expert_profile_changed(obj)

    def get_list_display(self, request):
        if is_editor(request.user):
            return ["name", "company", "account", "email"]
        return ["name", "company"]

    def get_list_filter(self, request):
        return ["is_active", "categories"] if is_editor(request.user) else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        if is_editor(request.user):
            kwargs["form"] = EditorExpertForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if is_editor(request.user):
            fields = list(EditorExpertForm.Meta.fields)
            return [*fields, "account"] if obj is not None else fields
        return ["name", *EXPERT_PROFILE_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        return ["account"] if is_editor(request.user) else ["name"]

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if is_editor(request.user) else {}

    def has_panel_permission(self, request):
        return is_editor(request.user)

    @admin.display(description=_("account"))
    def account(self, expert):
        return expert_account_state(expert).label

    @admin.display(description=_("email"), ordering="user__email")
    def email(self, expert):
        return expert.user.email if expert.user else "—"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        email = form.cleaned_data.get("email") if is_editor(request.user) else None
        if email:
            expert_email_set(expert=obj, email=email, by=request.user)
            obj.refresh_from_db()

    def response_add(self, request, obj, post_url_continue=None):
        # A new expert's next step is the invitation, on their page.
        if "_addanother" not in request.POST and "_popup" not in request.POST:
            self.message_user(request, _("Added %(name)s.") % {"name": obj.name}, messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:qa_expert_change", args=[obj.pk]))
        return super().response_add(request, obj, post_url_continue)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        expert = self.get_object(request, object_id)
        if expert is not None and is_editor(request.user):
            extra_context["account_state"] = expert_account_state(expert)
        if request.GET.get("welcome") and not is_editor(request.user):
            extra_context["welcome"] = True
        return super().change_view(request, object_id, form_url, extra_context)

    # -- the panel's front door ------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/account/<str:verb>/",
                wrap(self.account_action_view),
                name="qa_expert_account_action",
            ),
            *super().get_urls(),
        ]

    ACCOUNT_ACTIONS = {
        "invite": (expert_panel_invite, _("Emailed %(name)s a link to join the panel.")),
        "deactivate": (
            expert_deactivate,
            _(
                "%(name)s is inactive: they cannot sign in or be invited; their published "
                "answers stay."
            ),
        ),
        "reactivate": (expert_reactivate, _("%(name)s is active on the panel again.")),
    }

    def account_action_view(self, request, pk, verb):
        if not is_editor(request.user):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if verb not in self.ACCOUNT_ACTIONS:
            raise PermissionDenied
        expert = get_object_or_404(Expert.objects.select_related("user"), pk=pk)
        self._account_action(request, expert, verb)
        return HttpResponseRedirect(reverse("admin:qa_expert_change", args=[expert.pk]))

    def _account_action(self, request, expert, verb):
        service, done = self.ACCOUNT_ACTIONS[verb]
        try:
            service(expert=expert, by=request.user)
        except TransitionNotAllowed as error:
            self.message_user(request, str(error), messages.ERROR)
            return False
        self.message_user(request, done % {"name": expert.name}, messages.SUCCESS)
        return True

    @admin.action(
        description=_("Invite to the panel (emails each a one-time link)"), permissions=["panel"]
    )
    def invite_to_panel(self, request, queryset):
        for expert in queryset.select_related("user"):
            self._account_action(request, expert, "invite")

    @admin.action(description=_("Deactivate: no sign-in, no invitations"), permissions=["panel"])
    def deactivate(self, request, queryset):
        for expert in queryset.select_related("user"):
            self._account_action(request, expert, "deactivate")

    @admin.action(description=_("Reactivate"), permissions=["panel"])
    def reactivate(self, request, queryset):
        for expert in queryset.select_related("user"):
            self._account_action(request, expert, "reactivate")


__all__ = ["ExpertAccount", "ExpertAdmin", "ExpertForm"]
