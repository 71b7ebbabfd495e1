from django.core.management.base import BaseCommand, CommandError

from qa.models import Category
from qa.services import expert_account_ensure
from qa.services.accounts import AccountExists

from ._accounts import password_from


class Command(BaseCommand):
    help = "Create an expert who can sign in to answer the questions they are invited to."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="As printed in bylines.")
        parser.add_argument("--company", default="")
        parser.add_argument("--company-url", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--category", action="append", default=[], help="A category slug.")
        parser.add_argument("--password", help="Prompted for when omitted.")

    def handle(self, *args, **options):
        categories = list(Category.objects.filter(slug__in=options["category"]))
        missing = set(options["category"]) - {c.slug for c in categories}
        if missing:
            raise CommandError(f"No category with slug: {', '.join(sorted(missing))}")
        try:
            expert = expert_account_ensure(
                username=options["username"],
                email=options["email"],
                password=password_from(options),
                name=options["name"],
                company=options["company"],
                company_url=options["company_url"],
                categories=categories,
            )
        except AccountExists as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Expert {expert.name!r} created ({expert.slug})."))
