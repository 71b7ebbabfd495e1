"""``manage.py worker`` outlives the database: it waits with backoff, logs, and carries on."""

import pytest
from django.db import OperationalError
from django_tasks_db.management.commands.db_worker import Worker

from qa.management.commands import worker as command


@pytest.fixture
def worker():
    return command.ResilientWorker(
        queue_names=["default"],
        interval=0.1,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    )


@pytest.fixture
def outage(monkeypatch):
    """The database is down for the first ``n`` runs, then the run ends normally."""
    state = {"runs": 0, "down_for": 0, "chain": 0, "sleeps": []}

    def run(self):
        state["runs"] += 1
        if state["runs"] <= state["down_for"]:
            raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")
        return "done"

    def chain():
        state["chain"] += 1

    monkeypatch.setattr(Worker, "run", run)
    monkeypatch.setattr(command, "periodic_chain_ensure", chain)
    monkeypatch.setattr(command.time, "sleep", state["sleeps"].append)
    return state


def test_the_worker_waits_with_backoff_logs_and_carries_on(worker, outage, caplog, settings):
    settings.WORKER_MAX_BACKOFF_SECONDS = 8
    outage["down_for"] = 6
    caplog.set_level("WARNING", logger="qa.worker")
    assert worker.run() == "done"
    assert outage["sleeps"] == [1, 2, 4, 8, 8, 8]
    messages = [record.getMessage() for record in caplog.records]
    assert sum("Database unavailable (OperationalError" in m for m in messages) == 6
    assert any("Database reachable again" in m for m in messages)
    assert outage["chain"] == 7  # the periodic chain is seen to after every outage


def test_a_database_down_at_start_is_waited_for_too(worker, outage, monkeypatch):
    calls = {"n": 0}

    def chain():
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("the database system is starting up")

    monkeypatch.setattr(command, "periodic_chain_ensure", chain)
    assert worker.run() == "done"
    assert outage["sleeps"] == [1]


def test_a_stop_signal_during_an_outage_ends_the_worker(worker, outage):
    outage["down_for"] = 100
    worker.running = False
    assert worker.run() is None
    assert outage["sleeps"] == []


def test_other_errors_are_not_swallowed(worker, monkeypatch):
    monkeypatch.setattr(command, "periodic_chain_ensure", lambda: None)

    def run(self):
        raise RuntimeError("a bug")

    monkeypatch.setattr(Worker, "run", run)
    with pytest.raises(RuntimeError):
        worker.run()
