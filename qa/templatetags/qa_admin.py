from django import template
from django.db.models import Case, IntegerField, Value, When

from ..models import Answer, Column
from ..roles import expert_of, is_editor, is_expert
from ..services import columns_overdue
from ..services.columns import OPEN_ANSWERS

register = template.Library()


@register.simple_tag
def overdue_columns(user):
    """Scheduled columns that missed their time, for editors' eyes."""
    return list(columns_overdue()) if is_editor(user) else []


@register.simple_tag
def expert_invitations(user):
    """
    An expert's answers: open invitations first, by deadline, then the rest, newest first.
    Each past answer in a published column links to it.
    """
    if not is_expert(user):
        return None
    open_first = Case(
        When(status__in=OPEN_ANSWERS | {Answer.Status.SUBMITTED}, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    answers = (
        Answer.objects.filter(expert=expert_of(user))
        .select_related("column")
        .defer("column__search_vector")
        .annotate(past=open_first)
        .order_by("past", "column__answer_deadline", "-column__week", "-id")
    )
    rows = {"open": [], "past": []}
    for answer in answers:
        answer.column_is_public = answer.column.is_public
        answer.is_open = answer.past == 0 and answer.column.status in {
            Column.Status.COLLECTING,
            Column.Status.REVIEW,
        }
        rows["open" if answer.is_open else "past"].append(answer)
    return rows
