from django.core.management.base import BaseCommand, CommandError

from qa.services import editor_account_ensure
from qa.services.accounts import AccountExists

from ._accounts import password_from


class Command(BaseCommand):
    help = "Create an editor: a staff account with full access to the column's work."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="Prompted for when omitted.")

    def handle(self, *args, **options):
        try:
            user = editor_account_ensure(
                username=options["username"],
                email=options["email"],
                password=password_from(options),
            )
        except AccountExists as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Editor {user.username!r} created."))
