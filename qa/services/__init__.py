"""
Every write that changes a status or a role lives here, as a keyword-only function named
``<thing>_<verb>``. Views, admin actions, commands and tasks call these; they never flip a status
field themselves.
"""

from .accounts import editor_account_ensure, expert_account_ensure
from .answers import (
    EDITOR_EDITABLE_FIELDS,
    answer_approve,
    answer_decline,
    answer_edit,
    answer_expert_refusal,
    answer_move,
    answer_reject,
    answer_return_to_draft,
    answer_save_draft,
    answer_submit,
    answers_reorder,
    reminders_send,
)
from .columns import (
    CORRECTABLE_FIELDS,
    column_correct,
    column_invite,
    column_pick,
    column_publish,
    column_publish_problems,
    column_review_start,
    column_schedule,
    column_unpublish,
    column_unschedule,
    columns_publish_due,
    columns_review_due,
    expert_profile_changed,
    share_image_enqueue,
)
from .errors import StaleAnswer, TransitionNotAllowed
from .history import transition_record
from .questions import (
    QuestionTransitionError,
    question_decline,
    question_erase,
    question_shortlist,
    question_spam_mark,
    question_spam_restore,
    question_submit,
)

__all__ = [
    "CORRECTABLE_FIELDS",
    "EDITOR_EDITABLE_FIELDS",
    "QuestionTransitionError",
    "StaleAnswer",
    "TransitionNotAllowed",
    "answer_approve",
    "answer_decline",
    "answer_edit",
    "answer_expert_refusal",
    "answer_move",
    "answer_reject",
    "answer_return_to_draft",
    "answer_save_draft",
    "answer_submit",
    "answers_reorder",
    "column_correct",
    "column_invite",
    "column_pick",
    "column_publish",
    "column_publish_problems",
    "column_review_start",
    "column_schedule",
    "column_unpublish",
    "column_unschedule",
    "columns_publish_due",
    "columns_review_due",
    "expert_profile_changed",
    "share_image_enqueue",
    "editor_account_ensure",
    "expert_account_ensure",
    "question_decline",
    "question_erase",
    "question_shortlist",
    "question_spam_mark",
    "question_spam_restore",
    "question_submit",
    "reminders_send",
    "transition_record",
]
