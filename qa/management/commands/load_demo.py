from django.core.management.base import BaseCommand

from qa.demo import demo_load, demo_logins


class Command(BaseCommand):
    help = "Load the demo publication (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        demo_load()
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Sign in at /admin/ as:"))
        for role, username, password in demo_logins():
            self.stdout.write(f"  {role:<7} {username:<8} password: {password}")
