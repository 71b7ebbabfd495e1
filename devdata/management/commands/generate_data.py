import time

from django.core.management.base import BaseCommand, CommandError

from devdata.scale import data_generate, statistics_refresh


def positive(value):
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Fill the database with a made-up publication at scale, for load tests and query "
        "plans. Repeatable with --seed; adds to what is there."
    )

    def add_arguments(self, parser):
        parser.add_argument("--columns", type=positive, default=5000)
        parser.add_argument("--questions", type=positive, default=100_000)
        parser.add_argument("--experts", type=positive, default=500)
        parser.add_argument("--answers-per-column", type=positive, default=6)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **options):
        started = time.monotonic()
        try:
            counts = data_generate(
                columns=options["columns"],
                questions=options["questions"],
                experts=options["experts"],
                answers_per_column=options["answers_per_column"],
                seed=options["seed"],
                stream=self.stderr,
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        statistics_refresh()
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(f"Added {summary} in {time.monotonic() - started:.1f}s.")
