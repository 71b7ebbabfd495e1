from django.contrib import admin

from ..models import Answer, Column
from .scoping import EditorOnlyAdmin


class AnswerInline(admin.StackedInline):
    model = Answer
    extra = 0
    fields = ["expert", "headline", "body", "status", "position", "updated_at"]
    readonly_fields = ["expert", "status", "updated_at"]
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        # Answers begin as invitations, made by the invitation service.
        return False


@admin.register(Column)
class ColumnAdmin(EditorOnlyAdmin):
    list_display = ["title", "week", "category", "status", "publish_at", "published_at"]
    list_filter = ["status", "category", "is_featured"]
    list_select_related = ["category"]
    search_fields = ["title", "dek"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["question"]
    readonly_fields = ["status", "published_at", "corrected_at"]
    date_hierarchy = "week"
    inlines = [AnswerInline]
