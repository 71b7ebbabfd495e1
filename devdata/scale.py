"""
A publication at scale, made up: decades of weekly columns, a big question queue, a large
panel. For load tests and query plans (``manage.py generate_data``), never for the real site,
which is why it lives outside the ``qa`` app.

Repeatable: one seed gives the same text, the same dates and the same choices. Fast: rows go in
with ``bulk_create``; answer Markdown is rendered once per distinct body, not once per row.
"""

import base64
import datetime
import io
import sys
import time
from random import Random

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from qa.demo import CATEGORIES
from qa.markdown import render_markdown
from qa.models import (
    STANDING_INTRO,
    Answer,
    Category,
    Column,
    Expert,
    Question,
    body_fingerprint,
)
from qa.pagecache import pages_changed
from qa.search_index import search_vectors_refresh

BATCH = 2000

WORDS = [
    "interview",
    "manager",
    "resume",
    "offer",
    "salary",
    "raise",
    "promotion",
    "team",
    "colleague",
    "boss",
    "career",
    "job",
    "company",
    "role",
    "hiring",
    "recruiter",
    "network",
    "skills",
    "experience",
    "gap",
    "layoff",
    "remote",
    "office",
    "negotiate",
    "reference",
    "portfolio",
    "industry",
    "startup",
    "contract",
    "freelance",
    "degree",
    "certificate",
    "mentor",
    "feedback",
    "review",
    "deadline",
    "project",
    "client",
    "meeting",
    "email",
    "follow-up",
    "thank-you",
    "note",
    "application",
    "cover",
    "letter",
    "LinkedIn",
    "profile",
    "benefits",
    "notice",
    "counteroffer",
    "relocation",
    "weekend",
    "overtime",
    "workload",
    "burnout",
    "culture",
    "values",
    "leadership",
    "goal",
    "plan",
    "year",
    "month",
    "week",
    "honest",
    "polite",
    "direct",
    "brief",
    "clear",
    "confident",
    "early",
    "late",
    "quickly",
    "carefully",
    "professional",
]
OPENERS = [
    "I have been",
    "My manager keeps",
    "After three years I",
    "Last week my recruiter",
    "Should I tell",
    "How do I explain",
    "Is it too late to",
    "What is the best way to",
    "My colleague always",
    "During the interview they",
    "I was offered",
    "Every time I",
]
HEADLINES = [
    "Send A Thank-You Note ASAP",
    "Be Honest About The Gap",
    "Ask For Time To Decide",
    "Keep It Short",
    "Lead With Results",
    "Talk To Your Manager First",
    "Do Your Homework",
    "Frame It As Growth",
    "Know Your Number",
    "Put It In Writing",
    "Follow Up Once",
    "Stay Professional",
    "Use Your Network",
    "Practice Out Loud",
    "Show, Don't Tell",
]
FIRST_NAMES = [
    "Debra",
    "Don",
    "Maria",
    "Rafael",
    "Kim",
    "Priya",
    "Samuel",
    "Aisha",
    "Tom",
    "Elena",
    "Marcus",
    "Grace",
    "Omar",
    "Julia",
    "Chen",
    "Fatima",
    "Lucas",
    "Nora",
    "Ivan",
    "Zoe",
    "Andre",
    "Leila",
    "Peter",
    "Hana",
    "Victor",
    "Ruth",
    "Diego",
    "Mei",
    "Jonas",
    "Amara",
]
LAST_NAMES = [
    "Wheatman",
    "Goodman",
    "Alvarez",
    "Okafor",
    "Lindqvist",
    "Patel",
    "Nakamura",
    "Brennan",
    "Haddad",
    "Kowalski",
    "Moreau",
    "Osei",
    "Fischer",
    "Romano",
    "Tanaka",
    "Duarte",
    "Whitfield",
    "Sato",
    "Novak",
    "Adeyemi",
    "Larsen",
    "Costa",
]
COMPANIES = (
    "Careers Done Write",
    "Got The Job",
    "Northstar Coaching",
    "Bright Path HR",
    "Hire Ground",
    "The Resume Studio",
    "Next Step Partners",
    "Clear Career Co.",
)
HEADSHOT_COLOURS = [
    (70, 110, 160),
    (160, 90, 70),
    (80, 140, 100),
    (130, 100, 150),
    (180, 150, 60),
    (90, 90, 90),
    (60, 140, 150),
    (170, 80, 120),
]


class Progress:
    """A one-line progress bar on stderr."""

    def __init__(self, label, total, stream=None):
        self.label, self.total, self.done = label, total, 0
        self.stream = stream or sys.stderr
        self.started = time.monotonic()

    def advance(self, count):
        self.done += count
        filled = int(30 * self.done / self.total) if self.total else 30
        self.stream.write(
            f"\r{self.label:<10} [{'#' * filled}{'.' * (30 - filled)}] "
            f"{self.done}/{self.total} {time.monotonic() - self.started:5.1f}s"
        )
        if self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


class Writer:
    """Text of realistic lengths from a seeded random source."""

    def __init__(self, rng):
        self.rng = rng
        self.sentences = [self._sentence() for _ in range(3000)]

    def _sentence(self):
        words = self.rng.choices(WORDS, k=self.rng.randint(8, 22))
        return f"{self.rng.choice(OPENERS)} {' '.join(words)}."

    def sentences_of(self, low, high):
        return " ".join(self.rng.choices(self.sentences, k=self.rng.randint(low, high)))

    def title(self):
        words = self.rng.choices(WORDS, k=self.rng.randint(5, 9))
        return (f"{self.rng.choice(OPENERS)} {' '.join(words)}?").title()[:190]

    def answer_body(self):
        """Markdown: two to four paragraphs, 80 to 250 words, sometimes a list or emphasis."""
        paragraphs = [self.sentences_of(2, 4) for _ in range(self.rng.randint(2, 4))]
        if self.rng.random() < 0.3:
            paragraphs.append("\n".join(f"- {self.rng.choice(HEADLINES)}" for _ in range(3)))
        if self.rng.random() < 0.5:
            paragraphs[0] = f"**{self.rng.choice(HEADLINES)}.** {paragraphs[0]}"
        return "\n\n".join(paragraphs)


def headshot_files(rng, seed):
    """A few small JPEG headshots in media storage, shared by all generated experts."""
    from PIL import Image, ImageDraw

    names = []
    for index, colour in enumerate(HEADSHOT_COLOURS):
        name = f"headshots/generated-{seed}-{index}.jpg"
        if not default_storage.exists(name):
            image = Image.new("RGB", (160, 160), colour)
            draw = ImageDraw.Draw(image)
            draw.ellipse((45, 25, 115, 95), fill=(235, 215, 195))
            draw.rectangle((30, 105, 130, 160), fill=tuple(c // 2 for c in colour))
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=80)
            name = default_storage.save(name, ContentFile(buffer.getvalue()))
        names.append(name)
    rng.shuffle(names)
    return names


def token(rng):
    return base64.urlsafe_b64encode(rng.getrandbits(192).to_bytes(24, "big")).decode()


def _bulk(model, rows, progress):
    created = []
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        created.extend(model.objects.bulk_create(chunk, batch_size=BATCH))
        progress.advance(len(chunk))
    return created


def statistics_refresh():
    """
    VACUUM ANALYZE the tables ``data_generate`` fills. Bulk inserts leave the planner's statistics
    behind until autovacuum gets round to it: with none, PostgreSQL estimated 3 published
    columns out of 5,000 and sorted them all for the home page instead of reading the index.
    """
    tables = [model._meta.db_table for model in (Category, Expert, Question, Column, Answer)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # VACUUM too: it marks the pages all-visible, so counts can be read from an index
            # alone (an index-only scan) from the start.
            # VACUUM cannot run inside a transaction (a test's, say): ANALYZE alone there.
            names = ", ".join(connection.ops.quote_name(t) for t in tables)
            vacuum = "" if connection.in_atomic_block else "VACUUM "
            cursor.execute(f"{vacuum}ANALYZE {names}")
        else:
            cursor.execute("ANALYZE")


@transaction.atomic
def data_generate(*, columns, questions, experts, answers_per_column, seed=1, stream=None):
    """
    Add ``columns`` published weekly columns (one per week, going back from the week before the
    earliest existing one), ``questions`` reader questions (one picked per column, the rest
    spread over the queue's statuses), ``experts`` experts with headshots, and
    ``answers_per_column`` approved answers per column by distinct experts.
    """
    if questions < columns:
        raise ValueError(f"questions ({questions}) must be at least columns ({columns}).")
    if answers_per_column > experts:
        raise ValueError(
            f"answers-per-column ({answers_per_column}) cannot exceed experts ({experts})."
        )
    rng = Random(seed)
    writer = Writer(rng)
    now = timezone.now()
    zone = timezone.get_current_timezone()

    categories = []
    for name, slug, description in CATEGORIES:
        category, _ = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )
        categories.append(category)

    # Experts, sharing a handful of headshot files.
    headshots = headshot_files(rng, seed)
    taken = set(Expert.objects.values_list("slug", flat=True))
    expert_rows = []
    for index in range(experts):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        slug = slugify(name)
        while slug in taken:
            slug = f"{slugify(name)}-{index}-{rng.randint(2, 9999)}"
        taken.add(slug)
        expert_rows.append(
            Expert(
                name=name,
                company=rng.choice(COMPANIES),
                company_url=f"https://{slugify(rng.choice(COMPANIES))}.example.com/",
                bio=writer.sentences_of(3, 6),
                headshot=headshots[index % len(headshots)],
                slug=slug,
                is_active=rng.random() < 0.8,
                created_at=now,
            )
        )
    expert_list = _bulk(Expert, expert_rows, Progress("experts", experts, stream))
    Through = Expert.categories.through
    Through.objects.bulk_create(
        [
            Through(expert_id=expert.pk, category_id=category.pk)
            for expert in expert_list
            for category in rng.sample(categories, rng.randint(1, 3))
        ],
        batch_size=BATCH,
    )

    # Weeks: Mondays going back from just before the earliest column already there.
    earliest = Column.objects.filter(week__isnull=False).order_by("week").first()
    today = timezone.localdate()
    this_monday = today - datetime.timedelta(days=today.weekday())
    first_week = (earliest.week if earliest else this_monday) - datetime.timedelta(weeks=1)
    weeks = [first_week - datetime.timedelta(weeks=n) for n in range(columns)]
    oldest = datetime.datetime.combine(weeks[-1], datetime.time(9), zone) - datetime.timedelta(
        weeks=4
    )
    span = (now - oldest).total_seconds()

    # Questions: the picked ones first (one per column), then the queue.
    statuses = (
        [Question.Status.NEW] * 60
        + [Question.Status.SHORTLISTED] * 5
        + [Question.Status.DECLINED] * 25
        + [Question.Status.SPAM] * 8
        + [Question.Status.WITHDRAWN] * 2
    )
    question_rows = []
    for index in range(questions):
        picked = index < columns
        if picked:
            created = datetime.datetime.combine(weeks[index], datetime.time(9), zone)
            created -= datetime.timedelta(days=rng.randint(7, 28))
        else:
            created = oldest + datetime.timedelta(seconds=rng.random() * span)
        body = writer.sentences_of(2, 7)
        initial = rng.choice(FIRST_NAMES)
        question_rows.append(
            Question(
                body=body,
                fingerprint=body_fingerprint(body),
                signature=initial[0],
                name=initial,
                email=f"{initial.lower()}{index}@reader.example",
                category=rng.choice(categories),
                status=Question.Status.PICKED if picked else rng.choice(statuses),
                token=token(rng),
                created_at=created,
            )
        )
    question_list = _bulk(Question, question_rows, Progress("questions", questions, stream))

    column_rows = []
    for index, week in enumerate(weeks):
        question = question_list[index]
        title = writer.title()
        published_at = datetime.datetime.combine(week, datetime.time(9), zone)
        column_rows.append(
            Column(
                question=question,
                week=week,
                category_id=question.category_id,
                title=title,
                slug=f"{slugify(title)[:170]}-{week:%Y-%m-%d}",
                dek=writer.sentences_of(1, 2)[:400],
                intro=STANDING_INTRO,
                status=Column.Status.PUBLISHED,
                publish_at=published_at,
                published_at=published_at,
                is_featured=rng.random() < 0.1,
                created_at=published_at - datetime.timedelta(days=7),
            )
        )
    column_list = _bulk(Column, column_rows, Progress("columns", columns, stream))

    bodies = [writer.answer_body() for _ in range(min(1000, columns * answers_per_column))]
    rendered = [render_markdown(body) for body in bodies]
    answer_rows = []
    for column in column_list:
        for position, expert in enumerate(rng.sample(expert_list, answers_per_column)):
            choice = rng.randrange(len(bodies))
            at = column.published_at - datetime.timedelta(days=2)
            answer_rows.append(
                Answer(
                    column=column,
                    expert=expert,
                    headline=rng.choice(HEADLINES),
                    body=bodies[choice],
                    body_html=rendered[choice],
                    status=Answer.Status.APPROVED,
                    position=position,
                    invited_at=at - datetime.timedelta(days=5),
                    submitted_at=at - datetime.timedelta(days=1),
                    approved_at=at,
                    created_at=at - datetime.timedelta(days=5),
                )
            )
    _bulk(Answer, answer_rows, Progress("answers", len(answer_rows), stream))
    # bulk_create sends no signals: the new columns' search documents, in one UPDATE.
    search_vectors_refresh(column_ids=[column.pk for column in column_list])
    pages_changed()
    return {
        "experts": len(expert_list),
        "questions": len(question_list),
        "columns": len(column_list),
        "answers": len(answer_rows),
    }
