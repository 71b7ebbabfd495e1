from django import forms
from django.contrib import admin

from ..images import headshot_reencode
from ..models import Expert
from ..roles import is_editor
from ..services import expert_profile_changed
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
        fields = [
            "name",
            "slug",
            "company",
            "company_url",
            "bio",
            "headshot",
            "is_active",
            "categories",
            "user",
        ]
        field_classes = {"headshot": HeadshotField}


# What an expert may change on their own profile.
EXPERT_PROFILE_FIELDS = ["bio", "company", "company_url", "headshot"]


@admin.register(Expert)
class ExpertAdmin(PublicPagesAdmin, ExpertScopedAdmin):
    """Editors keep the panel; an expert sees and edits only their own profile ("My profile")."""

    expert_lookup = ""
    form = ExpertForm
    search_fields = ["name", "company"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["categories"]

    def public_change(self, obj):
        expert_profile_changed(obj)

    def get_list_display(self, request):
        if is_editor(request.user):
            return ["name", "company", "is_active", "user"]
        return ["name", "company"]

    def get_list_filter(self, request):
        return ["is_active", "categories"] if is_editor(request.user) else []

    def get_fields(self, request, obj=None):
        if is_editor(request.user):
            return list(ExpertForm.Meta.fields)
        return ["name", *EXPERT_PROFILE_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        return [] if is_editor(request.user) else ["name"]

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if is_editor(request.user) else {}
