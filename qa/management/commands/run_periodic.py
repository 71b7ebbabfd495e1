from django.core.management.base import BaseCommand, CommandError

from qa.periodic import UnknownJob, jobs_run


class Command(BaseCommand):
    help = (
        "Run the periodic jobs once (all, or those named). For cron, where no task worker runs: "
        "`* * * * * manage.py run_periodic`."
    )

    def add_arguments(self, parser):
        parser.add_argument("jobs", nargs="*", help="job names from PERIODIC_JOBS (default: all)")

    def handle(self, *args, jobs, **options):
        try:
            outcome = jobs_run(jobs)
        except UnknownJob as error:
            raise CommandError(error.args[0]) from error
        for name, result in outcome.items():
            self.stdout.write(f"{name}: {result}")
        failed = [name for name, result in outcome.items() if result != "ok"]
        if failed:
            raise CommandError(f"Failed: {', '.join(failed)}")
