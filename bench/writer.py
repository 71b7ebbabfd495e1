"""
The week's work going on while a row is measured: an expert saves an unpublished draft every
0.5 s, and an editor corrects one published column every 10 s (the first after one second),
through the services, as the admin would.

    python bench/writer.py SLUG SECONDS

SLUG is the published column to correct. Prints "ready" once set up, runs for SECONDS from then,
and prints what it did as JSON.
"""

import datetime
import json
import os
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")
django.setup()

from django.utils import timezone  # noqa: E402

from qa.models import Answer, Category, Column, Question  # noqa: E402
from qa.services import answer_save_draft, column_correct, expert_account_ensure  # noqa: E402

DRAFT_EVERY = 0.5
CORRECT_EVERY = 10.0


def draft_ensure():
    """An expert's answer on a column still collecting answers: nobody can see it."""
    # A login with no usable password: the writer calls the services as this expert.
    expert = expert_account_ensure(
        username="bench-expert", password=None, name="Bench Expert", exists_ok=True
    )
    user = expert.user
    answer = Answer.objects.filter(expert=expert, column__slug="bench-draft").first()
    if answer is None:
        category = Category.objects.order_by("pk").first()
        question = Question.objects.create(
            category=category, body="A question the bench's expert is answering.", status="picked"
        )
        column = Column.objects.create(
            question=question,
            category=category,
            title="A column being written",
            slug="bench-draft",
            status=Column.Status.COLLECTING,
            answer_deadline=timezone.now() + datetime.timedelta(days=3650),
        )
        answer = Answer.objects.create(column=column, expert=expert, status=Answer.Status.INVITED)
    return answer, user


def main():
    slug, seconds = sys.argv[1], float(sys.argv[2])
    answer, expert_user = draft_ensure()
    column = Column.objects.published().get(slug=slug)
    print("ready", flush=True)
    drafts = corrections = 0
    started = time.monotonic()
    next_draft, next_correction = started, started + 1.0
    while time.monotonic() - started < seconds:
        now = time.monotonic()
        if now >= next_draft:
            answer = answer_save_draft(
                answer=answer,
                headline="Still writing",
                body=f"Draft {drafts}: not for readers yet.",
                version=answer.version,
                by=expert_user,
            )
            drafts += 1
            next_draft += DRAFT_EVERY
        if now >= next_correction:
            column = column_correct(
                column=column, changes={"dek": f"Corrected ({corrections + 1})."}, by=None
            )
            corrections += 1
            next_correction += CORRECT_EVERY
        time.sleep(max(0.0, min(next_draft, next_correction) - time.monotonic()))
    print(json.dumps({"drafts": drafts, "corrections": corrections}))


if __name__ == "__main__":
    main()
