"""
The work that repeats: publishing due columns, reminders, pruning old task results.

``settings.PERIODIC_JOBS`` names each job and the function that does it. In production the
worker runs them: ``tick`` runs every job, then is enqueued again for a minute later, so the
chain keeps itself going with no cron. Where there is no worker (the immediate backend, one
machine), cron runs ``manage.py run_periodic`` instead.

Every job must be safe to run twice (they lock rows and key their emails), because two ticks
can overlap for a moment; the chain then shrinks back to one by itself (see ``tick``).
"""

import datetime
import logging

from django.conf import settings
from django.tasks import task
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

TICK_PATH = "qa.periodic.tick"


class UnknownJob(KeyError):
    pass


def periodic_jobs():
    """The registered jobs, name -> callable, in the settings' order."""
    return {name: import_string(path) for name, path in settings.PERIODIC_JOBS.items()}


def jobs_run(names=None):
    """
    Run the named jobs (all by default), each on its own: one failing does not stop the others.
    Returns name -> "ok" or the error's text.
    """
    jobs = periodic_jobs()
    if names:
        unknown = sorted(set(names) - set(jobs))
        if unknown:
            raise UnknownJob(
                f"No periodic job named {', '.join(unknown)}; known: {', '.join(jobs)}."
            )
        jobs = {name: jobs[name] for name in names}
    outcome = {}
    for name, job in jobs.items():
        try:
            job()
        except Exception as error:
            logger.exception("Periodic job %s failed", name)
            outcome[name] = f"{type(error).__name__}: {error}"
        else:
            outcome[name] = "ok"
    if names is None:
        heartbeat_record()
    return outcome


def heartbeat_record():
    """Note that every periodic job has just run: what the readiness view checks."""
    from .models import Heartbeat

    try:
        Heartbeat.objects.update_or_create(name="periodic", defaults={"at": timezone.now()})
    except Exception:
        logger.exception("Could not record the periodic jobs' run")


def task_results_prune():
    """Delete finished task results older than TASK_RESULTS_KEEP_DAYS."""
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - datetime.timedelta(days=settings.TASK_RESULTS_KEEP_DAYS)
    deleted, _per_model = DBTaskResult.objects.finished().filter(finished_at__lte=cutoff).delete()
    if deleted:
        logger.info("Pruned %d task results finished before %s", deleted, cutoff)
    return deleted


def tasks_reclaim_stalled():
    """
    Put back in the queue every task that has been running longer than TASK_LEASE_SECONDS: its
    worker died (killed, out of memory, the machine lost) without finishing it, and the database
    worker never looks at a running task again. Running a task twice is safe because every
    task is idempotent (emails are keyed, publishing checks the column's status under a lock).
    Returns how many were put back.
    """
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - datetime.timedelta(seconds=settings.TASK_LEASE_SECONDS)
    stalled = DBTaskResult.objects.running().filter(started_at__lte=cutoff)
    reclaimed = stalled.update(status=TaskResultStatus.READY, started_at=None)
    if reclaimed:
        logger.warning(
            "Put back %d task(s) running for more than %d s: their worker stopped mid-task.",
            reclaimed,
            settings.TASK_LEASE_SECONDS,
        )
    return reclaimed


def _pending_ticks(exclude_id=None):
    """Ticks waiting in the database queue, or None when the backend is not the database."""
    from django.tasks import TaskResultStatus
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(tick.get_backend(), DatabaseBackend):
        return None
    # Waiting, whether its time has come or not (the queryset's ready() only counts the former).
    pending = DBTaskResult.objects.filter(task_path=TICK_PATH, status=TaskResultStatus.READY)
    if exclude_id is not None:
        pending = pending.exclude(id=exclude_id)
    return pending


def tick_schedule(*, exclude_id=None, delay=None):
    """
    Enqueue the next tick, ``delay`` seconds from now (default: the interval), unless one is
    already waiting.

    Returns the new task result, or None when nothing was enqueued: a tick is already waiting,
    or the backend cannot run a task later (the immediate backend: cron's turn).
    """
    if not tick.get_backend().supports_defer:
        return None
    pending = _pending_ticks(exclude_id)
    if pending is not None and pending.exists():
        return None
    if delay is None:
        delay = settings.PERIODIC_INTERVAL_SECONDS
    run_after = timezone.now() + datetime.timedelta(seconds=delay)
    return tick.using(run_after=run_after).enqueue()


@task(takes_context=True)
def tick(context):
    """
    Schedule the next tick, then run every periodic job.

    Scheduling first keeps the chain alive through a job that crashes the process. If another
    tick is already waiting, this one does not add a second: two chains started at once
    (two workers starting together) collapse into one at the next minute.
    """
    tick_schedule(exclude_id=context.task_result.id)
    return jobs_run()
