"""
``manage.py worker``: django-tasks-db's ``db_worker`` (same options), made to outlive the
database. ``db_worker`` exits on the first connection error, so a PostgreSQL restart stopped
every email, reminder and scheduled publication until someone restarted it. This one logs,
waits (1, 2, 4 … s, at most WORKER_MAX_BACKOFF_SECONDS), and carries on when the database is
back; it also starts the periodic chain, at start and again after an outage (the chain may
have broken when a tick could not schedule the next). It needs no supervisor for that, though
docs/deploy.md still gives a systemd unit for crashes of any other kind.
"""

import logging
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

logger = logging.getLogger("qa.worker")

DATABASE_DOWN = (OperationalError, InterfaceError)


def periodic_chain_ensure():
    from qa.periodic import tick_schedule

    tick_schedule(delay=0)


class ResilientWorker(Worker):
    # A run this long means the database was healthy again: the next outage starts at 1 s.
    HEALTHY_SECONDS = 60

    def run(self):
        delay = 1
        down_since = None
        while self.running:
            started = time.monotonic()
            try:
                periodic_chain_ensure()
                if down_since is not None:
                    logger.warning(
                        "Database reachable again after %.0f s; the worker carries on.",
                        time.monotonic() - down_since,
                    )
                    down_since = None
                return super().run()
            except DATABASE_DOWN as error:
                if not self.running:
                    return None
                if time.monotonic() - started > self.HEALTHY_SECONDS:
                    delay = 1
                if down_since is None:
                    down_since = time.monotonic()
                first_line = (str(error).strip().splitlines() or [""])[0]
                logger.warning(
                    "Database unavailable (%s: %s); the worker tries again in %d s.",
                    type(error).__name__,
                    first_line,
                    delay,
                )
                self._close_connections()
                time.sleep(delay)
                delay = min(delay * 2, settings.WORKER_MAX_BACKOFF_SECONDS)
        return None

    @staticmethod
    def _close_connections():
        for connection in connections.all(initialized_only=True):
            try:
                connection.close()
            except Exception:  # a connection to a server that is gone may fail to close
                logger.debug("Closing a dead connection failed", exc_info=True)


class Command(DBWorkerCommand):
    help = (
        "Run the task worker (db_worker's options but --reload); it outlives database "
        "outages, retrying with backoff, and keeps the periodic chain going."
    )

    def handle(
        self,
        *,
        verbosity,
        queue_name,
        interval,
        batch,
        backend_name,
        startup_delay,
        max_tasks,
        worker_id,
        exclude_queues,
        **options,
    ):
        self.configure_logging(verbosity)
        worker = ResilientWorker(
            queue_names=queue_name.split(","),
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=exclude_queues.split(",") if exclude_queues else [],
        )
        worker.configure_signals()
        worker.run()
