from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import Question
from .pick import pick_for_week
from .scoping import EditorOnlyAdmin


@admin.register(Question)
class QuestionAdmin(EditorOnlyAdmin):
    """The editor's queue. The reader's name and email are shown here and nowhere else."""

    list_display = ["excerpt", "category", "status", "signature", "created_at"]
    list_filter = ["status", "category", "created_at"]
    list_select_related = ["category"]
    search_fields = ["body"]
    show_full_result_count = False
    date_hierarchy = "created_at"
    actions = [pick_for_week]
    fields = ["body", "category", "signature", "name", "email", "status", "created_at"]
    readonly_fields = ["status", "created_at"]

    @admin.display(description=_("question"))
    def excerpt(self, question):
        return str(question)
