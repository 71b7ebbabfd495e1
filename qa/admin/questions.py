import datetime

from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import services
from ..models import Question
from ..search import columns_like, significant_words
from .pick import pick_for_week
from .scoping import EditorOnlyAdmin

# Similar questions are looked for among this many recent ones in the queue.
SIMILAR_POOL_DAYS = 180
SIMILAR_POOL_SIZE = 2000
SIMILAR_WORDS = 8
SIMILAR_SHARED_WORDS = 2


def similar_pool(exclude_pks=()):
    since = timezone.now() - datetime.timedelta(days=SIMILAR_POOL_DAYS)
    return list(
        Question.objects.in_queue()
        .filter(created_at__gte=since)
        .exclude(pk__in=exclude_pks)
        .only("pk", "body", "fingerprint", "status", "created_at", "category_id")
        .order_by("-created_at")[:SIMILAR_POOL_SIZE]
    )


def similar_to(question, pool):
    """
    Questions in ``pool`` on the same subject as ``question``: the same text, or at least
    ``SIMILAR_SHARED_WORDS`` of its significant words in common.
    """
    words = set(significant_words(question.body, limit=SIMILAR_WORDS))
    needed = min(SIMILAR_SHARED_WORDS, len(words)) or 1
    found = []
    for other in pool:
        if other.pk == question.pk:
            continue
        same_text = bool(question.body) and other.fingerprint == question.fingerprint
        shared = words & set(significant_words(other.body, limit=SIMILAR_WORDS))
        if same_text or len(shared) >= needed:
            found.append(other)
    return found


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


@admin.register(Question)
class QuestionAdmin(EditorOnlyAdmin):
    """The editor's queue. The reader's name and email are shown here and nowhere else."""

    list_display = ["excerpt", "category", "status", "signature", "age", "similar_count"]
    list_filter = [QueueStatusFilter, "category", "created_at"]
    list_select_related = ["category"]
    search_fields = ["body"]
    show_full_result_count = False
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    fields = [
        "body",
        "category",
        "signature",
        "name",
        "email",
        "status",
        "spam_reason",
        "created_at",
        "erased_at",
        "similar_questions",
        "close_columns",
    ]
    readonly_fields = [
        "status",
        "spam_reason",
        "created_at",
        "erased_at",
        "similar_questions",
        "close_columns",
    ]
    actions = [pick_for_week, "shortlist", "decline", "spam_mark", "spam_restore"]

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # One look at the recent queue serves the whole page's "similar" column.
        pool = similar_pool()
        for question in changelist.result_list:
            question.similar_total = len(similar_to(question, pool))
        return changelist

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
        similar = similar_to(question, similar_pool())
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
