from django.core.management.base import BaseCommand

from qa.periodic import tick_schedule


class Command(BaseCommand):
    help = (
        "Start the worker's periodic chain (qa.periodic.tick) unless a tick is already waiting. "
        "Safe to run at every worker start."
    )

    def handle(self, *args, **options):
        result = tick_schedule(delay=0)
        if result is None:
            self.stdout.write("A tick is already waiting, or the task backend runs tasks inline.")
        else:
            self.stdout.write(f"Tick {result.id} enqueued; the worker runs it now.")
