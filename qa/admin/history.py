"""The history in words: each recorded transition as a sentence an editor reads at a glance."""

from django.utils import timezone

# "{who}" is who did it (or the scheduler); "{expert}" the answer's expert; "{note}" the note.
SENTENCES = {
    "column_pick": "{who} picked the question for the {note}",
    "column_invite": "Answers being collected: {note}",
    "column_review_start": "The column moved to review. {note}",
    "column_schedule": "{who} scheduled the column {note}",
    "column_unschedule": "{who} unscheduled the column",
    "column_publish": "{who} published the column",
    "column_unpublish": "{who} unpublished the column",
    "column_correct": "{who} corrected the published column",
    "column_import": "Imported from the back catalogue",
    "answer_invite": "{who} invited {expert}",
    "answer_save_draft": "{expert} saved a draft",
    "answer_submit": "{expert} submitted an answer",
    "answer_resubmit": "{expert} changed their submitted answer",
    "answer_decline": "{expert} declined",
    "answer_approve": "{who} approved {expert}’s answer",
    "answer_reject": "{who} did not use {expert}’s answer",
    "answer_return_to_draft": "{who} returned {expert}’s answer to draft",
    "answer_edit": "{who} edited {expert}’s answer",
    "answers_reorder": "{who} reordered the answers",
    "question_submit": "A reader sent in a question",
    "question_shortlisted": "{who} shortlisted the question",
    "question_declined": "{who} declined the question",
    "question_marked_as_spam": "{who} marked the question as spam",
    "question_restored_from_spam": "{who} restored the question from spam",
    "question_erase": "The question was erased",
    "expert_login_create": "{who} gave {note} a login",
    "expert_panel_invite": "{who} invited {note} to the panel",
    "expert_panel_join": "{note} joined the panel",
    "expert_deactivate": "{who} deactivated {note}",
    "expert_reactivate": "{who} reactivated {note}",
}
# Notes already said by the sentence itself.
NOTE_IN_SENTENCE = {
    "column_pick",
    "column_invite",
    "column_review_start",
    "column_schedule",
}
NOTE_IS_NAME = {
    "expert_login_create",
    "expert_panel_invite",
    "expert_panel_join",
    "expert_deactivate",
    "expert_reactivate",
}


def _who(entry):
    if entry.by_id is None:
        return "The scheduler"
    return entry.by.get_full_name() or entry.by.get_username()


def history_sentence(entry):
    """
    ``entry`` (a ``Transition`` with ``by`` and ``answer__expert`` loaded) in words, with its
    note: "Don Goodman declined: Travelling that week".
    """
    expert = entry.answer.expert.name if entry.answer_id else "the expert"
    note = entry.note.strip()
    template = SENTENCES.get(entry.action)
    if template is None:
        words = entry.action.replace("_", " ").capitalize()
        return f"{words}: {note}" if note else words
    sentence = template.format(who=_who(entry), expert=expert, note=note).strip()
    if note and entry.action not in NOTE_IN_SENTENCE | NOTE_IS_NAME:
        sentence = f"{sentence}: {note}"
    return sentence


def history_rows(entries):
    """``entries`` as (when, sentence, entry) for a template, ``when`` in the local time zone."""
    return [(timezone.localtime(entry.at), history_sentence(entry), entry) for entry in entries]
