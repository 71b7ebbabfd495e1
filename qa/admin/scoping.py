"""Role checks shared by every ModelAdmin."""

from django.contrib import admin

from ..roles import expert_of, is_editor, is_expert


class EditorOnlyAdmin(admin.ModelAdmin):
    """Editors' tools. Experts are refused even if someone grants them the model permission."""

    def has_module_permission(self, request):
        return is_editor(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_editor(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return is_editor(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return is_editor(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_editor(request.user) and super().has_delete_permission(request, obj)


class ExpertScopedAdmin(admin.ModelAdmin):
    """
    Editors see every row; an expert sees and changes only the rows they own, never adds or
    deletes. Subclasses name the ownership with ``expert_lookup``: the field path from the
    model to its Expert ("expert" for an answer, "" for the Expert profile itself).
    """

    expert_lookup = "expert"

    def _expert_id(self, obj):
        return obj.pk if not self.expert_lookup else getattr(obj, f"{self.expert_lookup}_id")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_editor(request.user):
            return queryset
        if not is_expert(request.user):
            return queryset.none()
        return queryset.filter(**{self.expert_lookup or "pk": expert_of(request.user).pk})

    def owns(self, request, obj):
        """True for an expert's own row, or for the list (``obj`` is None)."""
        if not is_expert(request.user):
            return False
        return obj is None or self._expert_id(obj) == expert_of(request.user).pk

    def has_module_permission(self, request):
        return (
            is_editor(request.user) or is_expert(request.user)
        ) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        if is_editor(request.user):
            return super().has_view_permission(request, obj)
        return self.owns(request, obj) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        if is_editor(request.user):
            return super().has_change_permission(request, obj)
        return self.owns(request, obj) and super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        return is_editor(request.user) and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return is_editor(request.user) and super().has_delete_permission(request, obj)
