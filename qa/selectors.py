"""Read queries that several views, feeds, commands, services and admin pages share."""

import datetime

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Answer, Category, Column, Expert


def published_columns():
    """Public columns, newest first, with what a list of them shows."""
    return Column.objects.published().select_related("category").order_by("-published_at", "-id")


def published_answers():
    """Approved answers with their experts, in the editor's order (for a published column)."""
    return (
        Answer.objects.filter(status=Answer.Status.APPROVED)
        .select_related("expert")
        .order_by("position", "id")
    )


def column_with_answers(queryset=None):
    """Columns with their approved answers and experts, in two queries whatever the count."""
    queryset = queryset if queryset is not None else published_columns()
    return queryset.select_related("category", "question").prefetch_related(
        Prefetch("answers", queryset=published_answers(), to_attr="published_answers")
    )


def column_for_page(slug):
    """The published column at ``slug`` with its category and question."""
    return published_columns().select_related("question").get(slug=slug)


def column_answers(column):
    """The column's approved answers with their experts, in the editor's order: one query."""
    return list(published_answers().filter(column=column))


def related_columns(column, limit=3):
    """Up to ``limit`` other published columns from the column's category, newest first."""
    return list(
        published_columns().filter(category_id=column.category_id).exclude(pk=column.pk)[:limit]
    )


def panel_experts():
    """
    The panel page: public experts with their count of published answers, active members first,
    then past contributors.
    """
    return (
        Expert.objects.published()
        .annotate(
            published_count=Count(
                "answers",
                filter=Q(answers__in=Answer.objects.published()),
                distinct=True,
            )
        )
        .order_by("-is_active", "name")
    )


def expert_answers(expert):
    """
    An expert's published answers with their columns, newest column first, as a queryset to
    page through. The profile lists headlines: the answers' texts are not loaded.
    """
    return (
        Answer.objects.published()
        .filter(expert=expert)
        .select_related("column", "column__category")
        .defer("body", "body_html", "column__intro", "column__search_vector")
        .order_by("-column__published_at", "position", "pk")
    )


def expert_answers_stamp(answers):
    """The newest change among ``answers``' columns, and how many answers: the profile's ETag."""
    stamp = answers.order_by().aggregate(changed=Max("column__updated_at"), count=Count("id"))
    return stamp["changed"], stamp["count"]


def categories_with_columns():
    """
    Categories that have at least one published column, with the count: one count per category,
    each read from the (category, status, published_at) index. Grouping a join of every column
    instead cost 7-16 ms at 5,000 columns.
    """
    published = (
        Column.objects.published()
        .filter(category=OuterRef("pk"))
        .order_by()
        .values("category")
        .annotate(count=Count("*"))  # not the id: the index holds all this count reads
        .values("count")
    )
    return (
        Category.objects.annotate(published_count=Coalesce(Subquery(published), 0))
        .filter(published_count__gt=0)
        .order_by("name")
    )


def published_stamp(queryset=None):
    """
    The newest change among the published columns of ``queryset``, and how many there are:
    what list pages key their ETag and Last-Modified on.
    """
    queryset = queryset if queryset is not None else Column.objects.published()
    stamp = queryset.order_by().aggregate(changed=Max("updated_at"), count=Count("*"))
    return stamp["changed"], stamp["count"]


def calendar_weeks(*, today, before=4, after=8):
    """
    The editorial calendar: ``before`` past weeks, this week and ``after`` weeks ahead, each
    with its column (or None) annotated with answers in and invited. One query.
    """
    this_week = week_of(today)
    weeks = [this_week + datetime.timedelta(weeks=n) for n in range(-before, after + 1)]
    columns = {
        column.week: column for column in Column.objects.filter(week__in=weeks).with_answer_counts()
    }
    return [(week, columns.get(week)) for week in weeks]


def panel_statistics():
    """Each expert's record on the panel, for rotating invitations fairly. One query."""
    answered = Q(answers__submitted_at__isnull=False)
    used = Q(answers__status=Answer.Status.APPROVED, answers__column__status="published")
    return (
        Expert.objects.annotate(
            invitations=Count("answers"),
            answered=Count("answers", filter=answered),
            declined=Count("answers", filter=Q(answers__status=Answer.Status.DECLINED)),
            on_time=Count(
                "answers",
                filter=answered
                & Q(answers__submitted_at__lte=F("answers__column__answer_deadline")),
            ),
            published=Count("answers", filter=used),
            last_feature=Max("answers__column__published_at", filter=used),
        )
        .select_related("user")
        .order_by("-is_active", "last_feature", "name")
    )


# Scheduled columns this late were not published by the worker: the editors are told.
OVERDUE_AFTER = datetime.timedelta(minutes=15)


def week_of(day):
    """
    The Monday of the ISO week ``day`` falls in: a date, or a moment, taken in the
    publication's time zone.
    """
    if isinstance(day, datetime.datetime):
        day = timezone.localtime(day).date()
    return day - datetime.timedelta(days=day.weekday())


def week_next_free(*, after=None):
    """The first week from ``after`` (default: next week) that has no column."""
    week = week_of(after or timezone.localdate() + datetime.timedelta(weeks=1))
    taken = set(Column.objects.filter(week__gte=week).values_list("week", flat=True))
    while week in taken:
        week += datetime.timedelta(weeks=1)
    return week


def weeks_offered(weeks=8):
    """The next ``weeks`` weeks an editor may pick for, each with the title it already has."""
    start = week_of(timezone.localdate() + datetime.timedelta(weeks=1))
    weeks_ahead = [start + datetime.timedelta(weeks=n) for n in range(weeks)]
    taken = dict(Column.objects.filter(week__in=weeks_ahead).values_list("week", "title"))
    return [(week, taken.get(week)) for week in weeks_ahead]


def columns_overdue(*, now=None):
    """Scheduled columns more than 15 minutes past their time: publishing did not happen."""
    now = now or timezone.now()
    return Column.objects.filter(
        status=Column.Status.SCHEDULED, publish_at__lt=now - OVERDUE_AFTER
    ).order_by("publish_at")


def expert_invitations(expert, *, open_statuses):
    """
    An expert's answers: those in ``open_statuses`` first, by deadline, then the rest, newest
    first; each with ``past`` (0 for an open one) and its column.
    """
    open_first = Case(
        When(status__in=open_statuses, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        Answer.objects.filter(expert=expert)
        .select_related("column")
        .defer("column__search_vector")
        .annotate(past=open_first)
        .order_by("past", "column__answer_deadline", "-column__week", "-id")
    )
