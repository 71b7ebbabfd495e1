"""Admin saves and deletes of what public pages show, told to the page cache."""

from django.db import transaction

from ..pagecache import pages_changed


class PublicPagesAdmin:
    """
    A ModelAdmin mixin: ``public_change(obj)`` says which pages a saved row changes (see
    ``qa.pagecache.pages_changed``), in the same transaction as the save; by default none, for
    models whose public changes go through a service. A delete changes every page: what
    pointed at the row is gone too.
    """

    def public_change(self, obj):
        pass

    def save_related(self, request, form, formsets, change):
        # After the many-to-many fields and inlines: the last write of an admin save.
        with transaction.atomic():
            super().save_related(request, form, formsets, change)
            self.public_change(form.instance)

    def delete_model(self, request, obj):
        with transaction.atomic():
            super().delete_model(request, obj)
            pages_changed()

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            pages_changed()
