"""Read queries that several views, feeds and commands share."""

from django.db.models import Prefetch

from .models import Answer, Column


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
