from django.core.management.base import BaseCommand

from qa.services import columns_review_due, reminders_send


class Command(BaseCommand):
    help = (
        "Remind experts 48 and 24 hours before their deadline (once each), and move columns "
        "whose deadline passed or whose panel is done to review (safe to run from cron hourly)."
    )

    def handle(self, *args, **options):
        for answer, label in reminders_send():
            self.stdout.write(
                f"Reminded {answer.expert.name} ({label}) about “{answer.column.title}”"
            )
        for column in columns_review_due():
            self.stdout.write(f"Ready for review: “{column.title}”")
