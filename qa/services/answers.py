"""
One expert's answer: written and submitted by the expert, reviewed and edited by the editor.

Expert saves carry the version they started from; a save over a newer version is refused, so
two tabs (or an expert and an editor) never overwrite each other silently.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from ..emails import email_enqueue
from ..models import Answer, Column
from ..pagecache import pages_changed
from .columns import (
    OPEN_ANSWERS,
    answer_email_context,
    column_answers_settled,
    column_review_start,
)
from .errors import StaleAnswer, TransitionNotAllowed
from .history import transition_record

# While these hold, the expert may still edit; after approval the answer is the editor's.
EXPERT_EDITABLE = {Answer.Status.INVITED, Answer.Status.DRAFT, Answer.Status.SUBMITTED}
# Until publication an expert may still revise what they have not had approved.
ANSWERING = {
    Column.Status.DRAFT,
    Column.Status.COLLECTING,
    Column.Status.REVIEW,
    Column.Status.SCHEDULED,
}
REMINDERS = [("48h", datetime.timedelta(hours=48)), ("24h", datetime.timedelta(hours=24))]


def _locked(answer):
    return Answer.objects.select_for_update().select_related("column", "expert").get(pk=answer.pk)


def answer_expert_refusal(answer, *, version=None):
    """
    Why the expert may not change ``answer`` now, as the error to raise or to show, or None
    when they may. The one rule: the services apply it, and so do the admin's form and its
    change permission. ``version`` is the one the expert's page started from (None: unchecked).
    """
    if answer.status not in EXPERT_EDITABLE:
        return TransitionNotAllowed(
            f"This answer is {answer.get_status_display()}; it can no longer be changed."
        )
    if answer.column.status not in ANSWERING:
        return TransitionNotAllowed("This column is published; answers can no longer change.")
    if version is not None and int(version) != answer.version:
        return StaleAnswer(
            "This answer changed since you opened it (in another tab, or by the editor). "
            "Copy your text, reload the page, and apply your changes again."
        )
    return None


def _require_expert_may_edit(answer, version):
    refusal = answer_expert_refusal(answer, version=version)
    if refusal is not None:
        raise refusal


def _set_status(answer, status, *, by, action, note="", extra_fields=()):
    from_status = answer.status
    answer.status = status
    answer.save(update_fields=["status", "updated_at", *extra_fields])
    transition_record(
        action=action,
        by=by,
        column=answer.column,
        answer=answer,
        from_status=from_status,
        to_status=status,
        note=note,
    )


def answer_save_draft(*, answer, headline, body, version, by):
    """The expert's "Save draft": keeps the text; a submitted answer stays submitted."""
    with transaction.atomic():
        answer = _locked(answer)
        _require_expert_may_edit(answer, version)
        answer.headline, answer.body = headline.strip(), body
        answer.version += 1
        fields = ["headline", "body", "version"]
        if answer.status == Answer.Status.INVITED:
            _set_status(
                answer, Answer.Status.DRAFT, by=by, action="answer_save_draft", extra_fields=fields
            )
        else:
            answer.save(update_fields=[*fields, "updated_at"])
    return answer


def answer_submit(*, answer, headline, body, version, by):
    """The expert's "Submit to the editor". It can still be edited until it is approved."""
    if not body.strip():
        raise TransitionNotAllowed("Write your answer before submitting it.", field="body")
    with transaction.atomic():
        answer = _locked(answer)
        _require_expert_may_edit(answer, version)
        answer.headline, answer.body = headline.strip(), body
        answer.version += 1
        answer.submitted_at = timezone.now()
        fields = ["headline", "body", "version", "submitted_at"]
        if answer.status == Answer.Status.SUBMITTED:
            answer.save(update_fields=[*fields, "updated_at"])
            transition_record(action="answer_resubmit", by=by, column=answer.column, answer=answer)
        else:
            _set_status(
                answer, Answer.Status.SUBMITTED, by=by, action="answer_submit", extra_fields=fields
            )
        _review_if_settled(answer.column)
    return answer


def answer_decline(*, answer, by, reason=""):
    """The expert declines the invitation, with an optional reason for the editor."""
    with transaction.atomic():
        answer = _locked(answer)
        _require_expert_may_edit(answer, None)
        answer.decline_reason = reason.strip()
        answer.version += 1
        _set_status(
            answer,
            Answer.Status.DECLINED,
            by=by,
            action="answer_decline",
            note=answer.decline_reason,
            extra_fields=["decline_reason", "version"],
        )
        _review_if_settled(answer.column)
    return answer


def _review_if_settled(column):
    if column.status == Column.Status.COLLECTING and column_answers_settled(column):
        column_review_start(column=column, reason="Every invited expert has answered or declined.")


def _require_editable_column(answer):
    if answer.column.status == Column.Status.PUBLISHED:
        raise TransitionNotAllowed(
            "The column is published; correct the answer's text instead of its status."
        )


def answer_approve(*, answer, by):
    """The editor approves a submitted answer for publication."""
    with transaction.atomic():
        answer = _locked(answer)
        _require_editable_column(answer)
        if answer.status != Answer.Status.SUBMITTED:
            raise TransitionNotAllowed(
                f"Only a submitted answer can be approved; this one is "
                f"{answer.get_status_display()}."
            )
        answer.approved_at = timezone.now()
        answer.version += 1
        _set_status(
            answer,
            Answer.Status.APPROVED,
            by=by,
            action="answer_approve",
            extra_fields=["approved_at", "version"],
        )
    return answer


def _tell_expert(answer, *, kind, subject, note):
    user = answer.expert.user
    if user is None:
        return
    email_enqueue(
        key=f"answer-{kind}:{answer.pk}:v{answer.version}",
        to=user.email,
        subject=subject,
        template=f"answer_{kind}",
        context={
            "expert": answer.expert.name,
            "title": answer.column.title,
            "note": note,
            "answer_id": answer.pk,  # the template links to the answer's page
        },
    )


def answer_reject(*, answer, reason, by):
    """The editor will not use this answer; the reason is emailed to the expert."""
    if not reason.strip():
        raise TransitionNotAllowed("Give the expert a reason.", field="reason")
    with transaction.atomic():
        answer = _locked(answer)
        _require_editable_column(answer)
        if answer.status not in {Answer.Status.SUBMITTED, Answer.Status.APPROVED}:
            raise TransitionNotAllowed(
                f"Only a submitted or approved answer can be rejected; this one is "
                f"{answer.get_status_display()}."
            )
        answer.editor_note = reason.strip()
        answer.version += 1
        _set_status(
            answer,
            Answer.Status.REJECTED,
            by=by,
            action="answer_reject",
            note=answer.editor_note,
            extra_fields=["editor_note", "version"],
        )
        _tell_expert(
            answer,
            kind="rejected",
            subject=f"About your answer to “{answer.column.title}”",
            note=answer.editor_note,
        )
    return answer


def answer_return_to_draft(*, answer, note, by):
    """The editor sends the answer back to the expert with a note."""
    with transaction.atomic():
        answer = _locked(answer)
        _require_editable_column(answer)
        if answer.status not in {
            Answer.Status.SUBMITTED,
            Answer.Status.APPROVED,
            Answer.Status.REJECTED,
        }:
            raise TransitionNotAllowed(
                f"This answer is {answer.get_status_display()}; there is nothing to return."
            )
        answer.editor_note = note.strip()
        answer.approved_at = None
        answer.version += 1
        _set_status(
            answer,
            Answer.Status.DRAFT,
            by=by,
            action="answer_return_to_draft",
            note=answer.editor_note,
            extra_fields=["editor_note", "approved_at", "version"],
        )
        _tell_expert(
            answer,
            kind="returned",
            subject=f"Your answer to “{answer.column.title}” needs another look",
            note=answer.editor_note,
        )
    return answer


EDITOR_EDITABLE_FIELDS = ["headline", "body", "position", "editor_note"]


def answer_edit(*, answer, changes, by):
    """
    The editor edits an answer's text. The history records what each field was; on a
    published column the edit is a correction, and the page shows "Updated".
    """
    unknown = set(changes) - set(EDITOR_EDITABLE_FIELDS)
    if unknown:
        raise TransitionNotAllowed(f"These cannot be edited here: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        answer = _locked(answer)
        recorded = {}
        for field, value in changes.items():
            old = getattr(answer, field)
            if old != value:
                recorded[field] = [old, value]
                setattr(answer, field, value)
        if not recorded:
            return answer
        answer.version += 1
        answer.save(update_fields=[*recorded, "version", "updated_at"])
        transition_record(
            action="answer_edit", by=by, column=answer.column, answer=answer, changes=recorded
        )
        published = answer.column.status == Column.Status.PUBLISHED
        if published and set(recorded) & {"headline", "body"}:
            column = Column.objects.select_for_update().get(pk=answer.column_id)
            column.corrected_at = timezone.now()
            column.save(update_fields=["corrected_at", "updated_at"])
        if published and set(recorded) & {"headline", "body", "position"}:
            pages_changed(column=answer.column)
    return answer


def answers_reorder(*, column, order, by):
    """Set the published order: ``order`` lists the column's answer ids, first to last."""
    with transaction.atomic():
        column = Column.objects.select_for_update().get(pk=column.pk)
        answers = {a.pk: a for a in column.answers.select_for_update()}
        order = [int(pk) for pk in order]
        if set(order) != set(answers) or len(order) != len(answers):
            raise TransitionNotAllowed(
                "The new order must list each of this column's answers once.", field="order"
            )
        before = [a.pk for a in sorted(answers.values(), key=lambda a: (a.position, a.pk))]
        if before == order:
            return column
        for position, pk in enumerate(order):
            answer = answers[pk]
            if answer.position != position:
                answer.position = position
                answer.save(update_fields=["position", "updated_at"])
        transition_record(
            action="answers_reorder",
            by=by,
            column=column,
            changes={"order": [before, order]},
        )
        if column.status == Column.Status.PUBLISHED:
            pages_changed(column=column)
    return column


def answer_move(*, answer, offset, by):
    """Move an answer up (-1) or down (+1) among its column's answers."""
    ids = list(
        Answer.objects.filter(column_id=answer.column_id)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    index = ids.index(answer.pk)
    target = index + offset
    if not 0 <= target < len(ids):
        return answer.column
    ids[index], ids[target] = ids[target], ids[index]
    return answers_reorder(column=answer.column, order=ids, by=by)


def reminders_send(*, now=None):
    """
    Remind experts who still owe an answer, 48 and 24 hours before the deadline, once each.
    A reminder whose hour passed before the expert was invited is skipped, and a late run
    sends only the latest reminder due. Rows another worker holds are skipped.
    """
    now = now or timezone.now()
    sent = []
    candidates = Answer.objects.filter(
        status__in=OPEN_ANSWERS,
        column__status=Column.Status.COLLECTING,
        column__answer_deadline__gt=now,
        column__answer_deadline__lte=now + REMINDERS[0][1],
    ).filter(reminded_24h_at__isnull=True)
    for pk in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            answer = (
                Answer.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("column__question", "expert__user")
                .filter(pk=pk, status__in=OPEN_ANSWERS)
                .first()
            )
            if answer is None:
                continue
            deadline = answer.column.answer_deadline
            due = [
                (label, before)
                for label, before in REMINDERS
                if deadline - before <= now
                and getattr(answer, f"reminded_{label}_at") is None
                and (answer.invited_at is None or answer.invited_at < deadline - before)
            ]
            if not due:
                continue
            label, _before = due[-1]
            for stamp, _ in REMINDERS:
                if getattr(answer, f"reminded_{stamp}_at") is None:
                    setattr(answer, f"reminded_{stamp}_at", now)
                if stamp == label:
                    break
            answer.save(update_fields=["reminded_48h_at", "reminded_24h_at"])
            if answer.expert.user is not None:
                email_enqueue(
                    key=f"reminder-{label}:{answer.pk}",
                    to=answer.expert.user.email,
                    subject=f"Reminder: your answer is due in {label[:-1]} hours",
                    template="reminder",
                    context={**answer_email_context(answer), "hours": label[:-1]},
                )
            sent.append((answer, label))
    return sent
