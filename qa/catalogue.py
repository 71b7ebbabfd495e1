"""
The back catalogue: columns as JSON, in and out.

A file holds one column object or a list of them. Each file is imported whole or not at all;
an error names the file and the place in it, e.g. ``answers[2].expert.name: required``.
Importing a file again updates its columns (matched on slug) instead of duplicating them.
"""

import json
from pathlib import Path

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from .models import Answer, Category, Column, Expert, Publication, Question
from .pagecache import pages_changed
from .selectors import week_of
from .services import share_image_enqueue, transition_record
from .services.accounts import unique_expert_slug


class CatalogueError(Exception):
    """A column object that cannot be imported; ``place`` says where in the file."""

    def __init__(self, place, reason):
        self.place = place
        self.reason = reason
        super().__init__(f"{place}: {reason}" if place else reason)


def _text(obj, key, place, *, required=False, max_length=None):
    value = obj.get(key)
    where = f"{place}.{key}" if place else key
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise CatalogueError(where, "required")
        return ""
    if not isinstance(value, str):
        raise CatalogueError(where, f"must be text, not {type(value).__name__}")
    _require_storable(value, where)
    if max_length and len(value) > max_length:
        raise CatalogueError(where, f"at most {max_length} characters")
    return value.strip()


def _require_storable(value, where):
    """Text every database keeps as it is: PostgreSQL refuses NUL, and no codec a lone surrogate."""
    if "\x00" in value:
        raise CatalogueError(where, "must not contain NUL characters (\\u0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise CatalogueError(
            where, f"is not valid Unicode (a lone surrogate at character {error.start + 1})"
        ) from error


def _object(obj, key, place, *, required=True):
    value = obj.get(key)
    where = f"{place}.{key}" if place else key
    if value is None:
        if required:
            raise CatalogueError(where, "required")
        return {}
    if not isinstance(value, dict):
        raise CatalogueError(where, "must be an object")
    return value


def _flag(obj, key, place, default):
    value = obj.get(key, default)
    if not isinstance(value, bool):
        raise CatalogueError(f"{place}.{key}" if place else key, "must be true or false")
    return value


def _category(name):
    slug = slugify(name)[:100]
    category = Category.objects.filter(name__iexact=name).first()
    if category is None and slug:
        category = Category.objects.filter(slug=slug).first()
    if category is None:
        # A name with no letters to slug ("???") still gets a slug of its own.
        base, number = slug or "topic", 1
        while Category.objects.filter(slug=slug).exists() or not slug:
            number += 1
            slug = f"{base[:90]}-{number}"
        category = Category.objects.create(name=name, slug=slug)
    return category


def _expert(spec, place):
    name = _text(spec, "name", place, required=True, max_length=120)
    company = _text(spec, "company", place, max_length=200)
    company_url = _text(spec, "company_url", place, max_length=200)
    if company_url and not company_url.startswith(("http://", "https://")):
        raise CatalogueError(f"{place}.company_url", "must start with http:// or https://")
    active = _flag(spec, "active", place, True)
    expert = Expert.objects.filter(name=name, company=company).first()
    if expert is None:
        expert = Expert(name=name, company=company, slug=unique_expert_slug(name))
    expert.company_url = company_url or expert.company_url
    expert.is_active = active
    expert.save()
    return expert


def column_import(spec, *, place=""):
    """Create or update one column from its JSON object. Raises CatalogueError."""
    prefix = f"{place}." if place else ""
    if not isinstance(spec, dict):
        raise CatalogueError(place, "must be a column object")
    title = _text(spec, "title", place, required=True, max_length=200)
    slug = _text(spec, "slug", place, max_length=200) or slugify(title)[:200]
    if not slug or slugify(slug) != slug:
        raise CatalogueError(f"{prefix}slug", "letters, numbers and hyphens only")
    category_name = _text(spec, "category", place, required=True, max_length=100)
    dek = _text(spec, "dek", place)
    intro = _text(spec, "intro", place) or Publication.current().standing_intro
    source = _text(spec, "source", place, max_length=500)
    if source and not source.startswith(("http://", "https://")):
        raise CatalogueError(f"{prefix}source", "must start with http:// or https://")
    is_featured = _flag(spec, "is_featured", place, False)

    published_at = None
    raw_date = spec.get("published_at")
    if raw_date not in (None, ""):
        try:
            parsed = parse_datetime(raw_date) if isinstance(raw_date, str) else None
            if parsed is not None:
                published_at = parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
                week_of(published_at)  # a date at the very edge of the calendar fails here
        except (ValueError, OverflowError):
            published_at = parsed = None
        if parsed is None:
            raise CatalogueError(
                f"{prefix}published_at", "not a date and time like 2013-06-14T09:00:00+00:00"
            )

    question_spec = _object(spec, "question", place)
    question_text = _text(question_spec, "text", f"{prefix}question", required=True)
    signature = _text(question_spec, "signature", f"{prefix}question", max_length=60)
    signature = signature.lstrip("-–— ").strip()

    answer_specs = spec.get("answers", [])
    if not isinstance(answer_specs, list):
        raise CatalogueError(f"{prefix}answers", "must be a list")
    answers = []
    for index, answer_spec in enumerate(answer_specs):
        where = f"{prefix}answers[{index}]"
        if not isinstance(answer_spec, dict):
            raise CatalogueError(where, "must be an answer object")
        expert_spec = _object(answer_spec, "expert", where)
        answers.append(
            {
                "headline": _text(answer_spec, "headline", where, max_length=200),
                "body": _text(answer_spec, "body", where, required=True),
                "expert": _expert(expert_spec, f"{where}.expert"),
            }
        )

    category = _category(category_name)
    column = Column.objects.filter(slug=slug).select_related("question").first()
    created = column is None
    if created:
        question = Question(category=category, status=Question.Status.PICKED)
        column = Column(slug=slug)
    else:
        question = column.question
    question.body = question_text
    question.signature = signature
    question.category = category
    question.save()

    week = None
    if published_at is not None:
        week = week_of(published_at)
        if Column.objects.filter(week=week).exclude(pk=column.pk).exists():
            week = None
    column.question = question
    column.category = category
    column.title = title
    column.dek = dek
    column.intro = intro
    column.week = week
    column.is_featured = is_featured
    column.source_url = source
    column.published_at = published_at
    column.status = Column.Status.PUBLISHED if published_at else Column.Status.DRAFT
    column.save()

    existing = list(column.answers.order_by("position", "id"))
    for position, values in enumerate(answers):
        answer = existing[position] if position < len(existing) else Answer(column=column)
        answer.expert = values["expert"]
        answer.headline = values["headline"]
        answer.body = values["body"]
        answer.position = position
        answer.status = Answer.Status.APPROVED
        answer.approved_at = answer.approved_at or published_at or timezone.now()
        answer.save()
    for extra in existing[len(answers) :]:
        extra.delete()

    transition_record(
        action="column_import",
        column=column,
        to_status=column.status,
        note=f"{'Imported' if created else 'Updated'} from the back catalogue.",
    )
    return column


def columns_import_file(path):
    """Import every column in one JSON file, in one transaction. Raises CatalogueError."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogueError("", f"cannot be read ({error})") from error
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise CatalogueError(
            f"line {error.lineno} column {error.colno}", f"not JSON ({error.msg})"
        ) from error
    specs = document if isinstance(document, list) else [document]
    with transaction.atomic():
        slugs = set()
        columns = []
        for index, spec in enumerate(specs):
            place = f"[{index}]" if isinstance(document, list) else ""
            column = column_import(spec, place=place)
            if column.slug in slugs:
                raise CatalogueError(f"{place}.slug" if place else "slug", "used twice in the file")
            slugs.add(column.slug)
            columns.append(column)
            if column.status == Column.Status.PUBLISHED:
                share_image_enqueue(column)
        pages_changed()  # columns, experts and topics at once: every page
    return columns


def column_export(column):
    """One column as its JSON object: the import format, with its approved answers in order."""
    spec = {"title": column.title, "slug": column.slug, "category": column.category.name}
    if column.dek:
        spec["dek"] = column.dek
    spec["intro"] = column.intro
    if column.status == Column.Status.PUBLISHED and column.published_at:
        spec["published_at"] = column.published_at.isoformat()
    spec["is_featured"] = column.is_featured
    if column.source_url:
        spec["source"] = column.source_url
    spec["question"] = {"text": column.question.body}
    if column.question.signature:
        spec["question"]["signature"] = column.question.signature
    spec["answers"] = []
    for answer in column.approved_answers:
        expert = {"name": answer.expert.name}
        if answer.expert.company:
            expert["company"] = answer.expert.company
        if answer.expert.company_url:
            expert["company_url"] = answer.expert.company_url
        if not answer.expert.is_active:
            expert["active"] = False
        entry = {"headline": answer.headline} if answer.headline else {}
        entry.update(expert=expert, body=answer.body)
        spec["answers"].append(entry)
    return spec


def columns_export():
    """Every column, oldest first, as a list of JSON objects."""
    columns = (
        Column.objects.select_related("category", "question")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=Answer.objects.filter(status=Answer.Status.APPROVED)
                .select_related("expert")
                .order_by("position", "id"),
                to_attr="approved_answers",
            )
        )
        .order_by("published_at", "slug")
    )
    return [column_export(column) for column in columns]
