import datetime

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from qa import periodic

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def job_counted():
    cache.set("ran", cache.get("ran", 0) + 1)


def job_broken():
    raise RuntimeError("mail server down")


@pytest.fixture
def counted_jobs(settings):
    settings.PERIODIC_JOBS = {"counted": "tests.test_periodic.job_counted"}


def ticks(status=None):
    rows = DBTaskResult.objects.filter(task_path=periodic.TICK_PATH)
    return rows.filter(status=status) if status else rows


@pytest.mark.django_db
def test_tick_on_the_immediate_backend_runs_the_jobs_once_without_rescheduling(counted_jobs):
    """Inline there is no later: the tick does the work and cron takes over the repeating."""
    result = periodic.tick.enqueue()
    assert result.return_value == {"counted": "ok"}
    assert cache.get("ran") == 1
    assert periodic.tick_schedule() is None


@pytest.mark.django_db
def test_a_failing_job_does_not_stop_the_others(settings):
    settings.PERIODIC_JOBS = {
        "broken": "tests.test_periodic.job_broken",
        "counted": "tests.test_periodic.job_counted",
    }
    outcome = periodic.jobs_run()
    assert outcome == {"broken": "RuntimeError: mail server down", "counted": "ok"}
    assert cache.get("ran") == 1


@pytest.mark.django_db
def test_tick_schedule_enqueues_one_tick_a_minute_ahead(settings):
    settings.TASKS = DATABASE_TASKS
    now = timezone.now()
    first = periodic.tick_schedule()
    assert first is not None
    assert periodic.tick_schedule() is None, "a second chain must not start"
    row = ticks().get()
    assert row.status == TaskResultStatus.READY
    assert now + datetime.timedelta(seconds=59) < row.run_after
    assert row.run_after < now + datetime.timedelta(seconds=70)


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_the_tick_which_reschedules_itself(counted_jobs, settings):
    settings.TASKS = DATABASE_TASKS
    call_command("periodic_start", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert ticks(TaskResultStatus.READY).count() == 1

    # --batch: run what is due, then exit; the next tick is a minute away, so it stops.
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert cache.get("ran") == 1
    done = ticks(TaskResultStatus.SUCCESSFUL).get()
    assert done.return_value == {"counted": "ok"}
    waiting = ticks(TaskResultStatus.READY).get()
    assert waiting.run_after > timezone.now() + datetime.timedelta(seconds=50)


@pytest.mark.django_db(transaction=True)
def test_two_chains_collapse_into_one(counted_jobs, settings):
    """Two workers started together enqueue two ticks; the first to run does not add a third."""
    settings.TASKS = DATABASE_TASKS
    periodic.tick.enqueue()
    periodic.tick.enqueue()

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert cache.get("ran") == 2
    assert ticks(TaskResultStatus.SUCCESSFUL).count() == 2
    assert ticks(TaskResultStatus.READY).count() == 1


@pytest.mark.django_db
def test_task_results_prune_deletes_only_old_finished_results(settings):
    settings.TASKS = DATABASE_TASKS
    old_done, recent_done, old_waiting = (periodic.tick.enqueue() for _ in range(3))
    long_ago = timezone.now() - datetime.timedelta(days=settings.TASK_RESULTS_KEEP_DAYS + 1)
    DBTaskResult.objects.filter(id__in=[old_done.id, recent_done.id]).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now()
    )
    DBTaskResult.objects.filter(id=old_done.id).update(finished_at=long_ago)
    DBTaskResult.objects.filter(id=old_waiting.id).update(enqueued_at=long_ago)

    assert periodic.task_results_prune() == 1
    assert {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)} == {
        recent_done.id,
        old_waiting.id,
    }


@pytest.mark.django_db
def test_run_periodic_command_runs_named_jobs(counted_jobs, capsys):
    call_command("run_periodic", "counted")
    assert capsys.readouterr().out == "counted: ok\n"
    assert cache.get("ran") == 1


@pytest.mark.django_db
def test_run_periodic_command_names_an_unknown_job(counted_jobs):
    with pytest.raises(CommandError, match="No periodic job named nope; known: counted"):
        call_command("run_periodic", "nope")


@pytest.mark.django_db
def test_run_periodic_command_fails_when_a_job_fails(settings):
    settings.PERIODIC_JOBS = {"broken": "tests.test_periodic.job_broken"}
    with pytest.raises(CommandError, match="Failed: broken"):
        call_command("run_periodic")


def test_the_registry_holds_the_pruning_job():
    from django.conf import settings

    assert periodic.periodic_jobs()["task_results_prune"] is periodic.task_results_prune
    assert settings.PERIODIC_JOBS["task_results_prune"] == "qa.periodic.task_results_prune"
