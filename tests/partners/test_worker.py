"""A real Celery beat and worker run the partner tasks against Redis and the test database:
the beat sends the reminder and no-show tasks every second, the worker runs them and sends the
e-mails, which land as files (the worker's outbox is in its own process) and carry an ``.ics``
that ``icalendar`` parses."""

import email
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import Message
from pathlib import Path

import icalendar
import pytest
from django.conf import settings
from django.utils import timezone

from partners import matching, tasks
from partners.models import Booking, Notification
from tests import factories
from tests.conftest import ROOT, wait_until
from tests.conftest import test_database_url as database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def celery(*args: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", *args, "--loglevel", "info"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log.open("w"),
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


@pytest.fixture
def worker_and_beat(tmp_path) -> Iterator[Callable[[], Path]]:
    """Starts a worker and a beat on a queue of their own, ticking every second, writing mail
    into a directory, which it returns."""
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.fail("the worker tests need REDIS_URL")
    queue = f"test-partners-{uuid.uuid4().hex[:10]}"
    mail_dir = tmp_path / "mail"
    env = {
        "DATABASE_URL": database_url(),
        "CELERY_EAGER": "false",
        "CELERY_QUEUE": queue,
        "EMAIL_FILE_DIR": str(mail_dir),
        "PARTNERS_TICK_SECONDS": "1",
        "MATCH_SWEEP_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    logs = ROOT / "test-artifacts"
    processes: list[subprocess.Popen] = []

    def start() -> Path:
        worker = celery(
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--queues",
            queue,
            "--hostname",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            env=env,
            log=logs / "partners-worker.log",
        )
        processes.append(worker)
        wait_until(
            lambda: (
                " ready." in (logs / "partners-worker.log").read_text() or worker.poll() is not None
            ),
            timeout=60,
            what="the worker to start",
        )
        beat = celery(
            "beat",
            "--schedule",
            str(tmp_path / "beat-schedule"),
            "--max-interval",
            "1",
            env=env,
            log=logs / "partners-beat.log",
        )
        processes.append(beat)
        assert worker.poll() is None and beat.poll() is None
        return mail_dir

    yield start
    for process in reversed(processes):
        stop(process)
    from config.celery import app

    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(queue)


def messages_in(directory: Path) -> list[Message]:
    """Every message the file backend wrote (several per file, each followed by a rule)."""
    found = []
    for path in sorted(directory.glob("*.log")) if directory.exists() else []:
        for chunk in path.read_text().split("\n" + "-" * 79 + "\n"):
            if chunk.strip():
                found.append(email.message_from_string(chunk.strip() + "\n"))
    return found


def calendar_in(message: Message) -> icalendar.Event | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            [event] = icalendar.Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
            return event
    return None


def subject(message: Message) -> str:
    return str(email.header.make_header(email.header.decode_header(message["Subject"])))


def text_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    return ""


def test_the_beat_and_a_worker_send_reminders_and_mark_no_shows(worker_and_beat, monkeypatch):
    # The bookings are made at past moments (the test's clock); the matcher every request
    # triggers would run at the real moment and lapse them, so it waits here.
    monkeypatch.setattr(tasks.match_requests, "delay", lambda *args, **kwargs: None)
    now = matching.ceil_to_grid(timezone.now())
    # Starts in ten minutes: its fifteen-minute reminder is due.
    soon_start = now + timedelta(minutes=10)
    a, b, soon = factories.confirmed_booking(start=soon_start, now=soon_start - timedelta(days=2))
    # Starts in a little under a day: its day reminder is due.
    day_start = now + timedelta(hours=23, minutes=55)
    c, d, day = factories.confirmed_booking(start=day_start, now=day_start - timedelta(days=2))
    # Started fifteen minutes ago; only Eve came.
    late_start = now - timedelta(minutes=15)
    eve, fay, late = factories.confirmed_booking(
        start=late_start, now=late_start - timedelta(days=2)
    )
    factories.room_presence(eve, late.first_interview_id)
    mail_dir = worker_and_beat()

    def done() -> bool:
        late.refresh_from_db()
        wanted = Notification.objects.filter(
            kind__in=["reminder_soon", "reminder_day", "no_show", "missed"],
            emailed_at__isnull=False,
        ).count()
        return late.status == Booking.Status.NO_SHOW and wanted == 6

    wait_until(done, timeout=90, what="the reminders and the no-show, e-mailed")
    messages = messages_in(mail_dir)
    by_subject = {(m["To"], subject(m).split(":")[0]): m for m in messages}
    for user in (a, b):
        message = by_subject[(user.email, "[Sevensteps] Starting soon")]
        event = calendar_in(message)
        assert event.decoded("DTSTART") == soon_start
        assert str(event["STATUS"]) == "CONFIRMED"
        assert str(event["UID"]).startswith(f"booking-{soon.pk}@")
    for user in (c, d):
        message = by_subject[(user.email, "[Sevensteps] Tomorrow")]
        assert calendar_in(message).decoded("DTSTART") == day_start
        assert f"/partners/bookings/{day.pk}/" in text_of(message)
    no_show = next(m for m in messages if m["To"] == eve.email and "did not come" in subject(m))
    assert calendar_in(no_show) is None  # after the fact: nothing for the calendar
    assert any(m["To"] == fay.email and "You missed" in subject(m) for m in messages)
    # The beat keeps ticking; nothing is sent twice.
    time.sleep(3)
    assert len(messages_in(mail_dir)) == len(messages)
    beat_log = (ROOT / "test-artifacts" / "partners-beat.log").read_text()
    assert "partners.tasks.send_reminders" in beat_log
    assert "partners.tasks.mark_no_shows" in beat_log
