import json

from django.core.management.base import BaseCommand

from qa.catalogue import columns_export


class Command(BaseCommand):
    help = "Write every column, with its approved answers, as JSON that import_columns reads."

    def add_arguments(self, parser):
        parser.add_argument("--output", metavar="FILE", help="Write here instead of stdout.")

    def handle(self, *args, output=None, **options):
        text = json.dumps(columns_export(), ensure_ascii=False, indent=2) + "\n"
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(f"Wrote {output}")
        else:
            self.stdout.write(text, ending="")
