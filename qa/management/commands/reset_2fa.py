"""manage.py reset_2fa USERNAME: take away a staff member's lost second factor."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from qa.admin.signin import second_factor_required, two_factor_reset


class Command(BaseCommand):
    help = (
        "Reset a staff member's two-factor sign-in (a lost phone): their authenticator app and "
        "recovery codes stop working, and they set up a new one at their next sign-in. "
        "Recorded in the history."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account named {username!r}.")
        removed = two_factor_reset(user, how="with manage.py reset_2fa")
        if not removed:
            self.stdout.write(f"{username} had no two-factor sign-in set up; recorded anyway.")
            return
        then = (
            "They must set it up again at their next sign-in."
            if second_factor_required(user)
            else "They can set it up again from the admin."
        )
        self.stdout.write(f"Two-factor sign-in reset for {username}. {then}")
