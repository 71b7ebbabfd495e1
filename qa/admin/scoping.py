"""Role checks shared by every ModelAdmin."""

from django.contrib import admin

from ..roles import is_editor


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
