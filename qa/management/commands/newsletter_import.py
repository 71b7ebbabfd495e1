"""
``manage.py newsletter_import FILE.csv``: bring an existing list in.

Columns (a header row names them): ``email`` (required), ``consented_at`` (when the reader
agreed: an ISO date or date-time; empty for none), ``topics`` (optional: category slugs
separated by ``;``, empty for every column). A row with a consent date is imported as
confirmed, as of that date; a row without one gets a confirmation email instead of the
newsletter (at most one a day per address, as for the form). A refused row is reported with
its line and field, and the other rows are imported all the same.
"""

import csv
import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from qa.models import Category
from qa.newsletter.services import subscriber_import


def parse_consent(value):
    value = (value or "").strip()
    if not value:
        return None
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is None:
                raise ValueError
            moment = datetime.datetime.combine(day, datetime.time())
    except ValueError:
        raise ValueError(
            f"consented_at: {value!r} is not a date (use 2024-03-01 or 2024-03-01T09:30)"
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > timezone.now():
        raise ValueError(f"consented_at: {value!r} is in the future")
    return moment


class Command(BaseCommand):
    help = "Import newsletter subscribers from a CSV file (email, consented_at, topics)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file with a header row")

    def handle(self, *args, **options):
        try:
            handle = open(options["file"], newline="", encoding="utf-8-sig")  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"Cannot read {options['file']}: {error.strerror}.") from None
        topics_by_slug = {category.slug: category for category in Category.objects.all()}
        counts, refused = {}, 0
        with handle:
            reader = csv.DictReader(handle)
            fields = {name.strip().lower() for name in reader.fieldnames or []}
            if "email" not in fields:
                raise CommandError("The file needs a header row with an 'email' column.")
            try:
                for row in reader:
                    row = {(k or "").strip().lower(): (v or "") for k, v in row.items()}
                    try:
                        outcome = self.import_row(row, topics_by_slug)
                    except ValueError as error:
                        refused += 1
                        self.stderr.write(f"line {reader.line_num}: {error}")
                        continue
                    counts[outcome] = counts.get(outcome, 0) + 1
            except (csv.Error, UnicodeDecodeError) as error:
                raise CommandError(
                    f"line {reader.line_num}: not a readable CSV file ({error}); the rows "
                    "before it were imported."
                ) from None
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))
        self.stdout.write(f"{summary or 'nothing imported'}; {refused} refused.")
        if refused:
            raise CommandError(
                f"{refused} row(s) refused (listed above); the others were imported."
            )

    def import_row(self, row, topics_by_slug):
        email = row.get("email", "").strip()
        try:
            validate_email(email)
        except ValidationError:
            raise ValueError(f"email: {email[:80]!r} is not an email address") from None
        if len(email) > 254:
            raise ValueError("email: longer than 254 characters")
        consented_at = parse_consent(row.get("consented_at"))
        slugs = [slug.strip() for slug in row.get("topics", "").split(";") if slug.strip()]
        unknown = [slug for slug in slugs if slug not in topics_by_slug]
        if unknown:
            raise ValueError(f"topics: no topic {', '.join(map(repr, unknown))}")
        return subscriber_import(
            email=email, consented_at=consented_at, topics=[topics_by_slug[s] for s in slugs]
        )
