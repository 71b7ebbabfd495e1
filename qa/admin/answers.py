from django.contrib import admin
from django.utils.html import format_html, linebreaks
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget

from ..models import Answer
from ..roles import expert_of, is_editor, is_expert

# While these hold, the expert may still edit; after approval the answer is the editor's.
EXPERT_EDITABLE = {Answer.Status.INVITED, Answer.Status.DRAFT, Answer.Status.SUBMITTED}


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    """
    Editors see every answer. An expert sees only their own, never the reader's name or email,
    and never a status field they could flip.
    """

    formfield_overrides = {MarkdownxField: {"widget": AdminMarkdownxWidget}}
    list_select_related = ["column", "expert"]
    search_fields = ["headline", "body", "expert__name", "column__title"]

    # -- scope ---------------------------------------------------------------------------

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("column__question", "expert")
        if is_editor(request.user):
            return queryset
        expert = expert_of(request.user)
        if expert is None or not is_expert(request.user):
            return queryset.none()
        return queryset.filter(expert=expert)

    def _owns(self, request, obj):
        return obj is None or (
            is_expert(request.user) and obj.expert_id == expert_of(request.user).pk
        )

    def has_module_permission(self, request):
        return (
            is_editor(request.user) or is_expert(request.user)
        ) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        if is_editor(request.user):
            return super().has_view_permission(request, obj)
        return (
            self._owns(request, obj)
            and is_expert(request.user)
            and super().has_view_permission(request, obj)
        )

    def has_change_permission(self, request, obj=None):
        if is_editor(request.user):
            return super().has_change_permission(request, obj)
        if not (is_expert(request.user) and self._owns(request, obj)):
            return False
        if obj is not None and obj.status not in EXPERT_EDITABLE:
            return False
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        # Answers begin as invitations, made by the invitation service.
        return False

    def has_delete_permission(self, request, obj=None):
        return is_editor(request.user) and super().has_delete_permission(request, obj)

    # -- what each role sees -------------------------------------------------------------

    def get_list_display(self, request):
        if is_editor(request.user):
            return ["__str__", "expert", "column", "status", "position", "updated_at"]
        return ["column_title", "status", "deadline", "updated_at"]

    def get_list_filter(self, request):
        return ["status", "column__category"] if is_editor(request.user) else ["status"]

    def get_fields(self, request, obj=None):
        if is_editor(request.user):
            return [
                "column",
                "expert",
                "question_text",
                "status",
                "headline",
                "body",
                "position",
                "editor_note",
                "decline_reason",
                "updated_at",
            ]
        return ["column_summary", "question_text", "deadline", "status", "headline", "body"]

    def get_readonly_fields(self, request, obj=None):
        if is_editor(request.user):
            return ["column", "expert", "question_text", "status", "decline_reason", "updated_at"]
        return ["column_summary", "question_text", "deadline", "status"]

    @admin.display(description=_("column"))
    def column_title(self, answer):
        return answer.column.title

    @admin.display(description=_("column"))
    def column_summary(self, answer):
        return format_html("<strong>{}</strong><br>{}", answer.column.title, answer.column.dek)

    @admin.display(description=_("the reader's question"))
    def question_text(self, answer):
        question = answer.column.question
        signature = f"- {question.signature}" if question.signature else ""
        return format_html(
            "<blockquote>{}<p>{}</p></blockquote>", linebreaks(question.body), signature
        )

    @admin.display(description=_("deadline"))
    def deadline(self, answer):
        return answer.column.answer_deadline or "—"
