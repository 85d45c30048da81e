"""A real Celery worker process against Redis and the test database: it compiles reports,
two of them racing compile once, and a worker process killed mid-task gets the message again
and the report is produced once."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from feedback import services as feedback_services
from feedback import tasks
from interviews.models import Event, Interview, Report
from tests import factories
from tests.conftest import ROOT, table_locked, wait_until
from tests.conftest import test_database_url as database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (the prefork pool's worker processes)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def pool(self) -> list[int]:
        return children_of(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def start_worker(request) -> Iterator[Callable[..., Worker]]:
    """Start ``celery -A config worker`` processes on a queue of their own (so they take no
    other test run's tasks), on the test database; this test's tasks go to that queue."""
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.fail("the worker tests need REDIS_URL")
    from config.celery import app

    queue = f"test-reports-{uuid.uuid4().hex[:10]}"
    previous = app.conf.task_default_queue
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    workers: list[Worker] = []

    def start(**env: str) -> Worker:
        log = ROOT / "test-artifacts" / f"worker-{request.node.name}-{len(workers)}.log"
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--queues",
                queue,
                "--hostname",
                f"{queue}-{len(workers)}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "info",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": database_url(),
                "CELERY_EAGER": "false",
                "PYTHONUNBUFFERED": "1",
                **env,
            },
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        worker = Worker(process, log)
        workers.append(worker)
        wait_until(
            lambda: " ready." in worker.output() or process.poll() is not None,
            timeout=60,
            what="the worker to start",
        )
        assert process.poll() is None, worker.output()
        return worker

    yield start
    for worker in workers:
        worker.stop()
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(queue)
    app.conf.task_default_queue = previous


def report_of(session) -> Report | None:
    return Report.objects.filter(interview=session.interview).first()


def ready(session) -> bool:
    report = report_of(session)
    return report is not None and report.status == Report.Status.READY


def test_a_worker_process_compiles_the_report(start_worker):
    worker = start_worker()
    session = factories.finished_interview()
    factories.self_assess(session)
    factories.finalise(session)  # commits; the report goes to Redis, the worker takes it
    assert session.refresh().status == Interview.Status.COMPLETED
    wait_until(lambda: ready(session), timeout=60, what="the report")
    report = report_of(session)
    assert report.attempts == 1
    assert report.data["overall"]["score"] == "3.00"
    assert "compiled" in worker.output()


def test_two_workers_racing_produce_one_report(start_worker):
    # The first claim stops at its first read of the documents (a lock this test holds), so
    # the second delivery finds the claim fresh and backs off until it would be stale; by
    # then the report is ready and it does nothing.
    env = {"REPORT_CLAIM_STALE_SECONDS": "5"}
    first, second = start_worker(**env), start_worker(**env)
    session = factories.finished_interview()
    factories.self_assess(session)
    Interview.objects.filter(pk=session.interview.pk).update(status="completed")
    report = Report.objects.create(interview=session.interview)
    with table_locked("interviews_document"):
        tasks.compile_report.delay(report.pk)
        tasks.compile_report.delay(report.pk)
        wait_until(
            lambda: "Retry in" in first.output() + second.output(),
            timeout=60,
            what="the second delivery to find the claim taken",
        )
    wait_until(lambda: ready(session), timeout=60, what="the report")
    wait_until(
        lambda: f"report {report.pk}: ready" in first.output() + second.output(),
        timeout=30,
        what="the second delivery to come back and find the report ready",
    )
    report.refresh_from_db()
    assert Report.objects.filter(interview=session.interview).count() == 1
    assert report.attempts == 1
    assert Event.objects.filter(interview=session.interview, kind="report.ready").count() == 1


def test_a_worker_killed_mid_task_gets_the_task_again_and_the_report_is_made_once(start_worker):
    worker = start_worker(REPORT_CLAIM_STALE_SECONDS="2")
    pool = worker.pool()
    assert len(pool) == 1
    session = factories.finished_interview()
    factories.self_assess(session)
    with table_locked("interviews_document"):
        factories.finalise(session)
        wait_until(
            lambda: report_of(session) is not None and report_of(session).status == "running",
            timeout=60,
            what="the worker to claim the report",
        )
        # The claim is in and the task waits on its first read: it dies mid-task.
        os.kill(pool[0], signal.SIGKILL)
        wait_until(lambda: worker.pool() not in ([], pool), timeout=30, what="a new pool process")
    wait_until(lambda: ready(session), timeout=60, what="the redelivered task")
    report = report_of(session)
    assert report.attempts == 2  # the killed claim, then the one that finished
    assert Report.objects.filter(interview=session.interview).count() == 1
    assert Event.objects.filter(interview=session.interview, kind="report.ready").count() == 1
    output = worker.output()
    assert "WorkerLostError" in output or "SIGKILL" in output
    assert worker.pool() != pool  # a fresh pool process did it


def test_a_report_request_survives_a_worker_that_is_not_running(start_worker):
    session = factories.finished_interview()
    factories.self_assess(session)
    factories.finalise(session)  # enqueued while no worker listens: the message waits
    time.sleep(0.5)
    assert report_of(session).status == Report.Status.PENDING
    start_worker()
    wait_until(lambda: ready(session), timeout=60, what="the report")
    assert feedback_services.report_compile(report_id=report_of(session).pk).status == "ready"
