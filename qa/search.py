"""Search over published columns: title, dek, the reader's question and the approved answers."""

from django.db.models import Q

from .models import Answer
from .selectors import published_columns

MAX_TERMS = 10


def search_terms(query):
    """The words of a query worth searching for, capped so a huge query stays cheap."""
    return [word for word in (query or "").split() if len(word) > 1][:MAX_TERMS]


def search_columns(query):
    """Published columns that contain every term of ``query``, newest first."""
    terms = search_terms(query)
    if not terms:
        return published_columns().none()
    columns = published_columns()
    for term in terms:
        columns = columns.filter(
            Q(title__icontains=term)
            | Q(dek__icontains=term)
            | Q(question__body__icontains=term)
            | Q(
                pk__in=Answer.objects.filter(
                    status=Answer.Status.APPROVED, body__icontains=term
                ).values("column_id")
            )
        )
    return columns
