"""Pages that work without Redis, against a Redis of the test's own (a real redis-server on a
free port, stopped and started again) and the real server processes: uvicorn, a Celery worker
and the beat.

Logging in and the pages answer while Redis is down; finishing a wrap-up does not wait on the
broker; a report whose hand-over failed is sent again by the beat soon after Redis is back (not
at the ten-minute sweep) and compiled."""

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import redis
from django.conf import global_settings

from interviews.models import Interview, Report
from tests import factories
from tests.conftest import ROOT, app_server, free_port, wait_for_port, wait_until
from tests.conftest import test_database_url as database_url
from tests.web import Browser

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-password-for-redis-tests"


@dataclass
class RedisServer:
    """redis-server on a port of its own, without persistence; start() and stop() at will."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
def real_hasher(settings):
    """The server process checks passwords with the default hasher, not the suite's fast one."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS


def celery(kind: str, redis_url: str, name: str, *args: str, **env: str) -> subprocess.Popen:
    log = open(ROOT / "test-artifacts" / f"redis-down-{name}.log", "w")  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", kind, "--loglevel", "info", *args],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "CELERY_EAGER": "false",
            "PYTHONUNBUFFERED": "1",
            **env,
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def timed(call):
    start = time.monotonic()
    result = call()
    return result, time.monotonic() - start


# --- Logging in and the pages, with nothing listening where Redis should be ----------------------


def test_login_and_pages_answer_with_nothing_listening_where_redis_should_be(real_hasher):
    user = factories.user(password=PASSWORD)
    nowhere = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with app_server("no-redis", env={"REDIS_URL": nowhere, "CELERY_EAGER": "false"}) as base:
        client = Browser(base)
        answer, seconds = timed(lambda: client.log_in(user.email, PASSWORD))
        assert answer.status == 302 and answer.location.endswith("/dashboard/"), answer.text[:500]
        assert seconds < 5
        for path in ("/dashboard/", "/library/", "/progress/", "/accounts/login/"):
            page, seconds = timed(lambda path=path: client.request(path))
            assert page.status in (200, 302), (path, page.status)
            assert seconds < 5, path
        # A wrong password is still counted (in the server's memory meanwhile).
        wrong = Browser(base)
        answers = [wrong.log_in(user.email, "not-it") for _ in range(6)]
        assert "Too many failed login attempts" in answers[-1].text


# --- The wrap-up while Redis is down, and the report once it is back ------------------------------


def self_assessment_form(page: str) -> dict[str, str]:
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = {"csrfmiddlewaretoken": token, "reflection": "Written while Redis was down."}
    for name in sorted(set(re.findall(r'name="(level-[\w-]+)"', page))):
        data[name] = "3"
    return data


def test_a_wrapup_finished_while_redis_is_down_gets_its_report_soon_after_it_returns(
    real_hasher, redis_server
):
    redis_server.start()
    drill = factories.solo_drill(candidate=factories.user(password=PASSWORD))
    assert drill.refresh().status == Interview.Status.WRAPUP
    env = {"REDIS_URL": redis_server.url, "CELERY_EAGER": "false"}
    worker = celery(
        "worker",
        redis_server.url,
        "worker",
        "--pool",
        "prefork",
        "--concurrency",
        "1",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    )
    beat = celery(
        "beat",
        redis_server.url,
        "beat",
        "--schedule",
        str(ROOT / "test-artifacts" / f"beat-schedule-{redis_server.port}"),
        REPORT_REQUEUE_SECONDS="3",
    )
    try:
        with app_server("redis-down", env=env) as base:
            client = Browser(base)
            assert client.log_in(drill.candidate.email, PASSWORD).status == 302

            # Redis goes away. The candidate finishes the drill: the page answers at once.
            redis_server.stop()
            url = f"/interviews/{drill.interview.pk}/wrap-up/"
            form = self_assessment_form(client.request(url).text)
            answer, seconds = timed(lambda: client.request(url, data=form))
            assert answer.status == 302 and answer.location.endswith("/report/"), answer.text
            assert seconds < 3, seconds
            assert drill.refresh().status == Interview.Status.COMPLETED  # nothing is lost
            report = Report.objects.get(interview=drill.interview)

            def failure_recorded() -> bool:
                report.refresh_from_db()
                return report.enqueue_failed_at is not None

            wait_until(failure_recorded, timeout=15, what="the failed hand-over on the report")
            assert report.status == Report.Status.PENDING
            assert "connect" in report.enqueue_error.lower()
            page = client.request(f"/interviews/{drill.interview.pk}/report/")
            assert page.status == 200 and "sent again" in page.text

            # Redis returns: the beat sends the report again and the worker compiles it,
            # well within a minute (the sweep would have waited ten).
            redis_server.start()
            back = time.monotonic()
            wait_until(
                lambda: Report.objects.get(pk=report.pk).status == Report.Status.READY,
                timeout=60,
                what="the report after Redis came back",
            )
            assert time.monotonic() - back < 60
            report.refresh_from_db()
            assert report.enqueue_failed_at is None and report.enqueue_error == ""
    finally:
        stop(beat)
        stop(worker)


def test_requeue_sends_only_pending_reports_whose_hand_over_failed(redis_server):
    """The beat's task, run by itself in a process pointed at a Redis that is back."""
    from django.utils import timezone

    failed = factories.solo_drill()
    factories.self_assess(failed)  # eager here: compiled at once
    Report.objects.filter(interview=failed.interview).update(
        status="pending", enqueue_failed_at=timezone.now(), enqueue_error="was down"
    )
    fine = factories.solo_drill()
    factories.self_assess(fine)
    Report.objects.filter(interview=fine.interview).update(status="pending")
    redis_server.start()
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from feedback import services; "
            "print(services.reports_requeue())",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_server.url,
            "CELERY_EAGER": "false",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    failed_report = Report.objects.get(interview=failed.interview)
    assert result.stdout.strip() == f"[{failed_report.pk}]"
    assert redis_server.client().llen("celery") == 1
    failed_report.refresh_from_db()
    assert failed_report.enqueue_failed_at is None


def test_the_beat_runs_the_requeue_every_30_seconds_by_default():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["requeue-reports"]
    assert entry["task"] == "feedback.tasks.requeue_reports"
    assert entry["schedule"] == 30 and entry["options"]["expires"] == 30


def test_joining_answers_while_redis_is_down(real_hasher):
    factories.rubric()
    host = factories.user()
    guest = factories.user(password=PASSWORD)
    from interviews import services

    interview = services.interview_create(
        user=host, case_study=factories.case_study(), role="interviewer", target_level="mid"
    )
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    with app_server("no-redis-join", env={"REDIS_URL": nowhere, "CELERY_EAGER": "false"}) as base:
        client = Browser(base)
        assert client.log_in(guest.email, PASSWORD).status == 302
        join = f"/join/{interview.invite.token}/"
        answer = client.request(join, data={"csrfmiddlewaretoken": client.csrf_token(join)})
        assert interview.participants.filter(user=guest).exists()  # saved either way
        assert answer.status == 302, answer.status
