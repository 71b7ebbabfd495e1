from django.contrib import admin

from ..images import ExpertForm
from ..models import Expert
from ..roles import expert_of, is_editor, is_expert

# What an expert may change on their own profile.
EXPERT_PROFILE_FIELDS = ["bio", "company", "company_url", "headshot"]


@admin.register(Expert)
class ExpertAdmin(admin.ModelAdmin):
    """Editors keep the panel; an expert sees and edits only their own profile ("My profile")."""

    form = ExpertForm
    search_fields = ["name", "company"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["categories"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_editor(request.user):
            return queryset
        if not is_expert(request.user):
            return queryset.none()
        return queryset.filter(user=request.user)

    def _owns(self, request, obj):
        return obj is None or (is_expert(request.user) and obj.pk == expert_of(request.user).pk)

    def has_module_permission(self, request):
        return (
            is_editor(request.user) or is_expert(request.user)
        ) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        if is_editor(request.user):
            return super().has_view_permission(request, obj)
        return (
            is_expert(request.user)
            and self._owns(request, obj)
            and super().has_view_permission(request, obj)
        )

    def has_change_permission(self, request, obj=None):
        if is_editor(request.user):
            return super().has_change_permission(request, obj)
        return (
            is_expert(request.user)
            and self._owns(request, obj)
            and super().has_change_permission(request, obj)
        )

    def has_add_permission(self, request):
        return is_editor(request.user) and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return is_editor(request.user) and super().has_delete_permission(request, obj)

    def get_list_display(self, request):
        if is_editor(request.user):
            return ["name", "company", "is_active", "user"]
        return ["name", "company"]

    def get_list_filter(self, request):
        return ["is_active", "categories"] if is_editor(request.user) else []

    def get_fields(self, request, obj=None):
        if is_editor(request.user):
            return [
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
        return ["name", *EXPERT_PROFILE_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        return [] if is_editor(request.user) else ["name"]

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if is_editor(request.user) else {}
