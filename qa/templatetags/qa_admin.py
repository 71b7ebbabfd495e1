from django import template

from ..models import Answer, Column
from ..roles import expert_of, is_editor, is_expert
from ..selectors import columns_overdue
from ..selectors import expert_invitations as invitations_of
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
    answers = invitations_of(
        expert_of(user), open_statuses=OPEN_ANSWERS | {Answer.Status.SUBMITTED}
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
