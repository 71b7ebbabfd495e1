from django.core.management.base import BaseCommand, CommandError

from qa.catalogue import CatalogueError, columns_import_file


class Command(BaseCommand):
    help = (
        "Import back-catalogue columns from JSON files. Each file is imported whole or not at "
        "all; every bad file is reported, and the command fails if any did."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")

    def handle(self, *args, files, **options):
        failed = 0
        for path in files:
            try:
                columns = columns_import_file(path)
            except CatalogueError as error:
                failed += 1
                self.stderr.write(f"{path}: {error}")
                continue
            self.stdout.write(f"{path}: imported {len(columns)} column(s)")
        if failed:
            raise CommandError(f"{failed} of {len(files)} file(s) not imported.")
