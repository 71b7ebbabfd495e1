from django.contrib import admin

from ..models import Category, Dispatch, Publication, Transition
from ..pagecache import pages_changed
from .pages import PublicPagesAdmin
from .scoping import EditorOnlyAdmin


@admin.register(Category)
class CategoryAdmin(PublicPagesAdmin, EditorOnlyAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def public_change(self, obj):
        pages_changed(topic=obj)


@admin.register(Publication)
class PublicationAdmin(PublicPagesAdmin, EditorOnlyAdmin):
    list_display = ["name", "tagline"]

    def public_change(self, obj):
        pages_changed()  # the name, the tagline and the standing intro are on every page

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not Publication.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyLogAdmin(EditorOnlyAdmin):
    """History and mail logs are written by the services, never by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Transition)
class TransitionAdmin(ReadOnlyLogAdmin):
    list_display = ["at", "action", "column", "answer", "from_status", "to_status", "by"]
    list_filter = ["action"]
    list_select_related = ["column", "answer__expert", "answer__column", "by"]
    date_hierarchy = "at"

    def get_queryset(self, request):
        # Columns come with every row; their search documents are never shown.
        return (
            super()
            .get_queryset(request)
            .defer("column__search_vector", "answer__column__search_vector")
        )


@admin.register(Dispatch)
class DispatchAdmin(ReadOnlyLogAdmin):
    list_display = ["created_at", "subject", "to", "sent_at", "attempts", "retry_at", "last_error"]
    search_fields = ["subject", "to", "key"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
