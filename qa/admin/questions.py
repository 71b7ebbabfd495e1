from types import SimpleNamespace

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import Column, Question
from ..pagecache import pages_changed
from ..paginators import CappedPaginator
from ..search import columns_like
from ..similar import similar_pool
from .pages import PublicPagesAdmin
from .pick import pick_for_week
from .scoping import EditorOnlyAdmin


class QueueStatusFilter(admin.SimpleListFilter):
    """By default the queue: spam and questions deleted by their reader are one click away."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*Question.Status.choices, ("all", _("everything, spam and deleted too"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset.in_queue()
        if value == "all":
            return queryset
        return queryset.filter(status=value)

    def choices(self, changelist):
        for position, choice in enumerate(super().choices(changelist)):
            if position == 0:
                choice["display"] = _("in the queue")
            yield choice


class QueueChangeList(ChangeList):
    """The admin's change list, with the change URL reversed once per page, not per row."""

    @cached_property
    def _change_url_around_id(self):
        # A question's id is a number, which quote() and the URL leave as it is.
        url = super().url_for_result(SimpleNamespace(**{self.pk_attname: 0}))
        before, _, after = url.rpartition("/0/")
        return before, after

    def url_for_result(self, result):
        before, after = self._change_url_around_id
        return f"{before}/{getattr(result, self.pk_attname)}/{after}"


@admin.register(Question)
class QuestionAdmin(PublicPagesAdmin, EditorOnlyAdmin):
    """The editor's queue. The reader's name and email are shown here and nowhere else."""

    list_display = ["excerpt", "category", "status", "signature", "age", "similar_count"]
    list_filter = [QueueStatusFilter, "category", "created_at"]
    list_select_related = ["category"]
    search_fields = ["body"]
    show_full_result_count = False
    # No date_hierarchy: its list of years is a DISTINCT over every row (260 ms at 100,000
    # questions); the "created" filter offers the same recent ranges through the index.
    paginator = CappedPaginator
    ordering = ["-created_at"]
    readonly_fields = [
        "status",
        "spam_reason",
        "created_at",
        "erased_at",
        "similar_questions",
        "close_columns",
    ]
    fields = ["body", "category", "signature", "name", "email", *readonly_fields]
    actions = [pick_for_week, "shortlist", "decline", "spam_mark", "spam_restore", "erase"]

    def public_change(self, obj):
        # A published column shows its reader's letter and signature.
        column = Column.objects.published().filter(question=obj).first()
        if column is not None:
            pages_changed(column=column)

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        try:
            page_number = int(request.GET.get(PAGE_VAR, 1))
        except ValueError:
            page_number = 1  # as the change list reads it
        return self.paginator(
            queryset, per_page, orphans, allow_empty_first_page, page_number=page_number
        )

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # One look at the recent queue serves the whole page's "similar" column.
        counts = similar_pool().similar_counts(changelist.result_list)
        for question in changelist.result_list:
            question.similar_total = counts[question.pk]
        return changelist

    def action_checkbox(self, obj):
        # The markup of ModelAdmin.action_checkbox, which renders a form widget's template for
        # every row: a third of the list's rendering time.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )

    @admin.display(description=_("question"))
    def excerpt(self, question):
        return str(question)

    @admin.display(description=_("age"), ordering="created_at")
    def age(self, question):
        return timesince(question.created_at, depth=1)

    @admin.display(description=_("similar"))
    def similar_count(self, question):
        return getattr(question, "similar_total", "")

    @admin.display(description=_("similar questions"))
    def similar_questions(self, question):
        if not question.pk:
            return "—"
        found = similar_pool().similar_to(question)
        texts = Question.objects.in_bulk(found)
        similar = [texts[pk] for pk in found if pk in texts]
        if not similar:
            return _("None in the queue.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a> ({}, {} ago)</li>',
                (
                    (
                        reverse("admin:qa_question_change", args=[other.pk]),
                        str(other),
                        other.get_status_display(),
                        timesince(other.created_at, depth=1),
                    )
                    for other in similar
                ),
            ),
        )

    @admin.display(description=_("published columns close to it"))
    def close_columns(self, question):
        columns = columns_like(question.body) if question.pk else []
        if not columns:
            return _("None found.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a> ({})</li>',
                (
                    (column.get_absolute_url(), column.title, f"{column.published_at:%B %d, %Y}")
                    for column in columns
                ),
            ),
        )

    # -- bulk actions: each calls a service per question -----------------------------------

    def _apply(self, request, queryset, service, done):
        changed, refused = 0, []
        for question in queryset:
            try:
                service(question=question, by=request.user)
            except services.QuestionTransitionError as error:
                refused.append(str(error))
            else:
                changed += 1
        if changed:
            self.message_user(
                request,
                ngettext("%(count)d question %(done)s.", "%(count)d questions %(done)s.", changed)
                % {"count": changed, "done": done},
                messages.SUCCESS,
            )
        for reason in refused[:5]:
            self.message_user(request, reason, messages.WARNING)
        if len(refused) > 5:
            self.message_user(
                request, _("… and %(n)d more left as they were.") % {"n": len(refused) - 5}
            )

    @admin.action(description=_("Shortlist the selected questions"))
    def shortlist(self, request, queryset):
        self._apply(request, queryset, services.question_shortlist, _("shortlisted"))

    @admin.action(description=_("Decline the selected questions (not this time)"))
    def decline(self, request, queryset):
        self._apply(request, queryset, services.question_decline, _("declined"))

    @admin.action(description=_("Mark the selected questions as spam"))
    def spam_mark(self, request, queryset):
        self._apply(
            request,
            queryset,
            services.question_spam_mark,
            _("marked as spam (undo: filter by spam, then “Restore from spam”)"),
        )

    @admin.action(description=_("Restore the selected questions from spam"))
    def spam_restore(self, request, queryset):
        self._apply(request, queryset, services.question_spam_restore, _("restored to the queue"))

    @admin.action(description=_("Erase the selected questions (asks to confirm)"))
    def erase(self, request, queryset):
        """
        The reader's "Delete my question", done by an editor (a reader who wrote in, say):
        confirmed on a page of its own, since it cannot be undone.
        """
        if request.POST.get("confirm") != "yes":
            return TemplateResponse(
                request,
                "admin/qa/question/erase_confirm.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Erase these questions?"),
                    "opts": self.model._meta,
                    "questions": queryset.filter(erased_at__isnull=True),
                    "already": queryset.filter(erased_at__isnull=False).count(),
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        self._apply(request, queryset, services.question_erase, _("erased"))
        return None
