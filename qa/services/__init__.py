"""
Every write that changes a status or a role lives here, as a keyword-only function named
``<thing>_<verb>``. Views, admin actions, commands and tasks call these; they never flip a status
field themselves.
"""

from .accounts import editor_account_ensure, expert_account_ensure
from .history import transition_record

__all__ = [
    "editor_account_ensure",
    "expert_account_ensure",
    "transition_record",
]
