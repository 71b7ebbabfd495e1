from ..models import Transition


def transition_record(
    *,
    action,
    by=None,
    column=None,
    answer=None,
    question=None,
    from_status="",
    to_status="",
    note="",
    changes=None,
):
    """Append one entry to the history. Services call this inside their own transaction."""
    user = by if by is not None and by.is_authenticated else None
    return Transition.objects.create(
        action=action,
        by=user,
        column=column,
        answer=answer,
        question=question,
        from_status=from_status,
        to_status=to_status,
        note=note,
        changes=changes or {},
    )
