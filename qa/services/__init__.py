"""
Every write that changes a status or a role lives here, as a keyword-only function named
``<thing>_<verb>``. Views, admin actions, commands and tasks call these; they never flip a status
field themselves.
"""

from .accounts import editor_account_ensure, expert_account_ensure
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
    "QuestionTransitionError",
    "editor_account_ensure",
    "expert_account_ensure",
    "question_decline",
    "question_erase",
    "question_shortlist",
    "question_spam_mark",
    "question_spam_restore",
    "question_submit",
    "transition_record",
]
