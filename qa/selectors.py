"""Read queries that several views, feeds and commands share."""

import datetime

from django.db.models import Count, F, Max, Prefetch, Q

from .models import Answer, Column, Expert


def published_columns():
    """Public columns, newest first, with what a list of them shows."""
    return Column.objects.published().select_related("category").order_by("-published_at", "-id")


def published_answers():
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


def calendar_weeks(*, today, before=4, after=8):
    """
    The editorial calendar: ``before`` past weeks, this week and ``after`` weeks ahead, each
    with its column (or None) annotated with answers in and invited. One query.
    """
    this_week = today - datetime.timedelta(days=today.weekday())
    weeks = [this_week + datetime.timedelta(weeks=n) for n in range(-before, after + 1)]
    columns = {
        column.week: column
        for column in Column.objects.filter(week__in=weeks).annotate(
            invited_count=Count("answers"),
            answered_count=Count(
                "answers",
                filter=Q(
                    answers__status__in=[
                        Answer.Status.SUBMITTED,
                        Answer.Status.APPROVED,
                        Answer.Status.REJECTED,
                    ]
                ),
            ),
        )
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
