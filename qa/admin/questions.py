import datetime
from collections import Counter, defaultdict

from django.contrib import admin, messages
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import services
from ..models import Question
from ..search import columns_like, significant_words
from .paginators import CappedPaginator
from .pick import pick_for_week
from .scoping import EditorOnlyAdmin

# Similar questions are looked for among this many recent ones in the queue.
SIMILAR_POOL_DAYS = 180
SIMILAR_POOL_SIZE = 2000
SIMILAR_WORDS = 8
SIMILAR_SHARED_WORDS = 2


# A question's significant words depend on its text only, which its fingerprint stands for:
# they are kept in the cache under the fingerprint, for every web process, for this long.
SIMILAR_WORDS_CACHE_SECONDS = 7 * 24 * 60 * 60


def _words_key(fingerprint):
    return f"similar-words:{SIMILAR_WORDS}:{fingerprint}"


class SimilarPool:
    """
    The recent queue (at most ``SIMILAR_POOL_SIZE`` questions of the last
    ``SIMILAR_POOL_DAYS``), indexed once by significant word and by fingerprint, so that
    looking up a page of questions costs a dictionary lookup per word, not a pass over the pool.

    The pool's texts are not loaded: each one's words come from the cache, and only the texts
    never seen before are read and cut into words (one query for all of them).
    """

    def __init__(self, exclude_pks=()):
        since = timezone.now() - datetime.timedelta(days=SIMILAR_POOL_DAYS)
        self.questions = list(
            Question.objects.in_queue()
            .filter(created_at__gte=since)
            .exclude(pk__in=exclude_pks)
            .only("pk", "fingerprint", "status", "created_at", "category_id")
            .order_by("-created_at", "-pk")[:SIMILAR_POOL_SIZE]
        )
        words = self._words()
        self.by_word = defaultdict(list)
        self.by_fingerprint = defaultdict(list)
        self.positions = {question.pk: position for position, question in enumerate(self.questions)}
        for position, question in enumerate(self.questions):
            self.by_fingerprint[question.fingerprint].append(position)
            for word in words[question.fingerprint]:
                self.by_word[word].append(position)

    def _words(self):
        fingerprints = {question.fingerprint for question in self.questions}
        cached = cache.get_many([_words_key(fingerprint) for fingerprint in fingerprints])
        words = {
            fingerprint: cached[_words_key(fingerprint)]
            for fingerprint in fingerprints
            if _words_key(fingerprint) in cached
        }
        missing = [q.pk for q in self.questions if q.fingerprint not in words]
        if missing:
            fresh = {
                fingerprint: significant_words(body, limit=SIMILAR_WORDS)
                for fingerprint, body in Question.objects.filter(pk__in=missing).values_list(
                    "fingerprint", "body"
                )
            }
            cache.set_many(
                {_words_key(fp): found for fp, found in fresh.items()},
                SIMILAR_WORDS_CACHE_SECONDS,
            )
            words.update(fresh)
        return words

    def _found(self, question):
        words = set(significant_words(question.body, limit=SIMILAR_WORDS))
        needed = min(SIMILAR_SHARED_WORDS, len(words)) or 1
        shared = Counter()
        for word in words:
            shared.update(self.by_word.get(word, ()))
        found = {position for position, count in shared.items() if count >= needed}
        if question.body:
            found.update(self.by_fingerprint.get(question.fingerprint, ()))
        found.discard(self.positions.get(question.pk))
        return found

    def similar_count(self, question):
        """How many questions ``similar_to`` would return, without building the list."""
        return len(self._found(question))

    def similar_to(self, question):
        """
        Questions in the pool on the same subject as ``question``, newest first: the same
        text, or at least ``SIMILAR_SHARED_WORDS`` of its significant words in common.
        """
        return [self.questions[position] for position in sorted(self._found(question))]


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
    # No date_hierarchy: its list of years is a DISTINCT over every row (260 ms at 100,000
    # questions); the "created" filter offers the same recent ranges through the index.
    paginator = CappedPaginator
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
        pool = SimilarPool()
        for question in changelist.result_list:
            question.similar_total = pool.similar_count(question)
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
        found = [other.pk for other in SimilarPool().similar_to(question)]
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
