from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.defaultfilters import linebreaks_filter
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timeuntil
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget

from ..models import Answer, Publication
from ..roles import is_editor
from ..services import (
    EDITOR_EDITABLE_FIELDS,
    TransitionNotAllowed,
    answer_decline,
    answer_edit,
    answer_expert_refusal,
    answer_save_draft,
    answer_submit,
)
from .pages import PublicPagesAdmin
from .scoping import ExpertScopedAdmin

# The expert's three buttons, by the name each posts.
SAVE_DRAFT, SUBMIT, DECLINE = "_save_draft", "_submit", "_decline"


class ExpertAnswerForm(forms.ModelForm):
    """The expert's page: their text, the version they started from, and a decline reason."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    decline_reason = forms.CharField(
        label=_("Why you decline (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only the editors see this."),
    )

    class Meta:
        model = Answer
        fields = ["headline", "body"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk:
            self.initial["expected_version"] = self.instance.version
            self.initial["decline_reason"] = self.instance.decline_reason

    def clean(self):
        cleaned = super().clean()
        # The answer as it is now, under the services' rule. Declining discards nothing, so an
        # older page may still decline.
        answer = Answer.objects.select_related("column").get(pk=self.instance.pk)
        version = None if DECLINE in self.data else cleaned.get("expected_version")
        refusal = answer_expert_refusal(answer, version=version)
        if refusal is not None:
            raise forms.ValidationError(str(refusal), code="refused")
        if SUBMIT in self.data and not (cleaned.get("body") or "").strip():
            self.add_error("body", _("Write your answer before submitting it."))
        return cleaned


@admin.register(Answer)
class AnswerAdmin(PublicPagesAdmin, ExpertScopedAdmin):
    """
    Editors see every answer and edit its text (recorded in the history). An expert sees only
    their own, never the reader's name or email, and changes its status only with the page's
    buttons, through the services.
    """

    formfield_overrides = {MarkdownxField: {"widget": AdminMarkdownxWidget}}
    list_select_related = ["column", "expert"]
    search_fields = ["headline", "body", "expert__name", "column__title"]

    # -- scope ---------------------------------------------------------------------------

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("column__question", "expert")
            .defer("column__search_vector")
        )

    def has_change_permission(self, request, obj=None):
        # Once approved, or once its column is published, an answer is the editor's.
        if (
            obj is not None
            and not is_editor(request.user)
            and answer_expert_refusal(obj) is not None
        ):
            return False
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request):
        # Answers begin as invitations, made by the invitation service.
        return False

    # -- what each role sees -------------------------------------------------------------

    def get_list_display(self, request):
        if is_editor(request.user):
            return ["__str__", "expert", "column", "status", "position", "updated_at"]
        return ["column_title", "status", "deadline", "updated_at"]

    def get_list_filter(self, request):
        return ["status", "column__category"] if is_editor(request.user) else ["status"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if (
            not is_editor(request.user)
            and obj is not None
            and self.has_change_permission(request, obj)
        ):
            kwargs["form"] = ExpertAnswerForm
            kwargs["fields"] = ["headline", "body", "expected_version", "decline_reason"]
        return super().get_form(request, obj, change, **kwargs)

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
        fields = ["column_summary", "question_text", "deadline", "status", "editor_note_shown"]
        if obj is not None and self.has_change_permission(request, obj):
            return [*fields, "headline", "body", "word_guide", "expected_version", "decline_reason"]
        return [*fields, "headline", "body"]

    def get_readonly_fields(self, request, obj=None):
        if is_editor(request.user):
            return ["column", "expert", "question_text", "status", "decline_reason", "updated_at"]
        return [
            "column_summary",
            "question_text",
            "deadline",
            "status",
            "editor_note_shown",
            "word_guide",
        ]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and not is_editor(request.user):
            context["expert_buttons"] = self.has_change_permission(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    change_form_template = "admin/qa/answer/change_form.html"

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
            "<blockquote>{}<p>{}</p></blockquote>", linebreaks_filter(question.body), signature
        )

    @admin.display(description=_("deadline"))
    def deadline(self, answer):
        deadline = answer.column.answer_deadline
        if deadline is None:
            return "—"
        local = timezone.localtime(deadline)
        if deadline <= timezone.now():
            left = _("passed")
        else:
            left = _("%(time)s left") % {"time": timeuntil(deadline)}
        return format_html(
            '<time datetime="{}">{} ({})</time> · <strong>{}</strong>',
            local.isoformat(),
            f"{local:%A %B %-d, %-I:%M %p}",
            timezone.get_current_timezone_name(),
            left,
        )

    @admin.display(description=_("note from the editor"))
    def editor_note_shown(self, answer):
        return answer.editor_note or "—"

    @admin.display(description=_("length"))
    def word_guide(self, answer):
        publication = Publication.current()
        return format_html(
            '<span class="word-count" data-min="{}" data-max="{}" aria-live="polite">'
            "{} words</span> · the guide: {} to {} words",
            publication.answer_words_min,
            publication.answer_words_max,
            answer.word_count,
            publication.answer_words_min,
            publication.answer_words_max,
        )

    # -- saving, always through the services ---------------------------------------------

    def save_model(self, request, obj, form, change):
        if is_editor(request.user):
            changes = {
                field: form.cleaned_data[field]
                for field in EDITOR_EDITABLE_FIELDS
                if field in form.changed_data
            }
            answer_edit(answer=obj, changes=changes, by=request.user)
            obj.refresh_from_db()
            return
        cleaned = form.cleaned_data
        try:
            if SUBMIT in request.POST:
                answer_submit(
                    answer=obj,
                    headline=cleaned["headline"],
                    body=cleaned["body"],
                    version=cleaned["expected_version"],
                    by=request.user,
                )
            elif DECLINE in request.POST:
                answer_decline(
                    answer=obj, reason=cleaned.get("decline_reason", ""), by=request.user
                )
            else:
                answer_save_draft(
                    answer=obj,
                    headline=cleaned["headline"],
                    body=cleaned["body"],
                    version=cleaned["expected_version"],
                    by=request.user,
                )
        except TransitionNotAllowed as error:
            # The form checked the same rule a moment ago; only a change made in between (by
            # another tab or the editor) lands here.
            raise PermissionDenied(str(error)) from error
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        if is_editor(request.user):
            super().save_related(request, form, formsets, change)

    def response_change(self, request, obj):
        if is_editor(request.user):
            return super().response_change(request, obj)
        here = reverse("admin:qa_answer_change", args=[obj.pk])
        if SUBMIT in request.POST:
            self.message_user(
                request,
                _("Submitted to the editor. You can still edit it until it is approved."),
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:index"))
        if DECLINE in request.POST:
            self.message_user(request, _("You declined. Thank you for letting us know."))
            return HttpResponseRedirect(reverse("admin:index"))
        self.message_user(request, _("Draft saved."), messages.SUCCESS)
        return HttpResponseRedirect(here)
