"""
The demo publication that ``make run`` loads: categories, an editor, two experts, a few reader
questions, and one column collecting answers from both experts, so each role has something to
see. Loading it twice changes nothing.
"""

import datetime
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from .catalogue import columns_import_file
from .models import Category, Column, Expert, Question
from .selectors import week_next_free
from .services import (
    column_invite,
    column_pick,
    editor_account_ensure,
    expert_account_ensure,
)

CATEGORIES = [
    ("Job Interviews", "job-interviews", "Preparing, performing and following up."),
    ("Resumes & Cover Letters", "resumes", "Getting past the first read."),
    ("Career Change", "career-change", "Moving into new work."),
    ("Salary & Negotiation", "salary", "Asking for what the job is worth."),
    ("Workplace", "workplace", "Bosses, colleagues and the daily grind."),
]

# The source piece, in the back-catalogue format: the column every page is modelled on.
SOURCE_COLUMN = Path(__file__).resolve().parent / "back_catalogue" / "source-column.json"

EDITOR = {"username": "editor", "password": "editor-demo-2026", "email": "editor@example.com"}
EXPERTS = [
    {
        "username": "debra",
        "password": "expert-demo-2026",
        "email": "debra@example.com",
        "name": "Debra Wheatman",
        "company": "Careers Done Write",
        "categories": ["job-interviews", "resumes"],
    },
    {
        "username": "don",
        "password": "expert-demo-2026",
        "email": "don@example.com",
        "name": "Don Goodman",
        "company": "Got The Job",
        "categories": ["job-interviews", "career-change"],
    },
]

QUESTIONS = [
    (
        "salary",
        "M",
        "Maya",
        "maya@example.com",
        "I was offered a job and the salary is lower than I expected. Is it too late to "
        "negotiate after I already said I was excited about the offer?",
    ),
    (
        "career-change",
        "Teacher in Tulsa",
        "",
        "",
        "I have taught high school for twelve years and want to move into instructional "
        "design. How do I explain the switch without sounding like I'm running away?",
    ),
    (
        "job-interviews",
        "R",
        "Rafael",
        "rafael@example.com",
        "My interviewer asked about a gap of two years on my resume and I froze. How should "
        "I answer that question next time?",
    ),
    (
        "workplace",
        "K",
        "Kim",
        "",
        "A colleague keeps taking credit for my work in team meetings. How do I handle it "
        "without looking petty in front of my manager?",
    ),
]


def demo_logins():
    """(role, username, password) for the README and ``make run``'s banner."""
    return [("editor", EDITOR["username"], EDITOR["password"])] + [
        ("expert", e["username"], e["password"]) for e in EXPERTS
    ]


@transaction.atomic
def demo_load():
    categories = {}
    for name, slug, description in CATEGORIES:
        categories[slug], _ = Category.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )

    editor = editor_account_ensure(exists_ok=True, **EDITOR)
    for expert in EXPERTS:
        expert_account_ensure(
            exists_ok=True,
            **{key: value for key, value in expert.items() if key != "categories"},
            categories=[categories[slug] for slug in expert["categories"]],
        )

    for slug, signature, name, email, body in QUESTIONS:
        if not Question.objects.filter(body=body).exists():
            Question.objects.create(
                category=categories[slug], signature=signature, name=name, email=email, body=body
            )

    columns_import_file(SOURCE_COLUMN)
    _demo_column(editor)


# The question the demo's column answers; the others wait in the queue.
COLLECTING_QUESTION = QUESTIONS[2][4]


def _demo_column(editor):
    """Next week's column, collecting answers from debra and don, due in four days."""
    question = Question.objects.get(body=COLLECTING_QUESTION)
    if Column.objects.filter(question=question).exists():
        return
    column = column_pick(
        question=question,
        week=week_next_free(),
        title="How Do I Explain A Two-Year Gap In An Interview?",
        by=editor,
    )
    column.dek = (
        "Freezing on a question about a gap in your resume is common. Our panel explains how "
        "to answer it with confidence next time."
    )
    column.save(update_fields=["dek", "updated_at"])
    deadline = timezone.make_aware(
        datetime.datetime.combine(
            timezone.localdate() + datetime.timedelta(days=4), datetime.time(17)
        )
    )
    experts = Expert.objects.filter(user__username__in=[e["username"] for e in EXPERTS])
    column_invite(column=column, experts=experts.order_by("name"), deadline=deadline, by=editor)
