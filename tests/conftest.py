"""Shared fixtures. The suite runs against the services in DATABASE_URL and REDIS_URL (the
Makefile points them at the local PostgreSQL and Redis); a few tests start the app on embedded
defaults in a subprocess to prove those work too."""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Each pytest-xdist worker has its own live server (tests/workers.py): "-gw0", ... on its files.
WORKER_SUFFIX = (
    f"-{os.environ['PYTEST_XDIST_WORKER']}" if "PYTEST_XDIST_WORKER" in os.environ else ""
)
LIVE_SERVER_MAIL = ROOT / "test-artifacts" / f"live-server-mail{WORKER_SUFFIX}"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def _fast_password_hashing(request, settings) -> None:
    """Django 6 hashes a password in about half a second, and most tests make users. Browser
    tests keep the real hasher: their users log in to a server process with default settings."""
    if not request.node.get_closest_marker("browser"):
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_login_rate_limits(settings) -> None:
    # allauth throttles failed logins per IP; the suite logs in from one address many times.
    settings.ACCOUNT_RATE_LIMITS = False


@pytest.fixture(autouse=True)
def _celery_eager() -> Iterator[None]:
    """Most tests run Celery tasks in process; tests with a real worker turn this off."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _close_connections_of_async_tests(request) -> Iterator[None]:
    """Async tests reach the database from asgiref's single sync thread (the room's own threads
    are closed by the ``registry`` fixture); close that thread's connection afterwards, or
    PostgreSQL refuses to drop the test database at the end."""
    yield
    if not request.node.get_closest_marker("asyncio"):
        return
    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port} after {timeout}s")


def test_database_url() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise RuntimeError("the live server needs DATABASE_URL pointing at PostgreSQL")
    user = db.get("USER") or "postgres"
    auth = f"{user}:{db['PASSWORD']}" if db.get("PASSWORD") else user
    return (
        f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


@contextmanager
def table_locked(table: str) -> Iterator[None]:
    """Hold an exclusive lock on ``table`` from a connection of its own: every read of that
    table waits until the block ends. Lets a test stop real code at a step it chooses (a worker
    mid-report, say) without a hook in the code."""
    import psycopg

    with psycopg.connect(test_database_url()) as connection:
        connection.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield


@contextmanager
def row_locked(table: str, **where: object) -> Iterator[None]:
    """Hold a row lock on the rows of ``table`` matching ``where`` (column = value) from a
    connection of its own: writes to them wait until the block ends; reads do not."""
    import psycopg
    from psycopg import sql

    conditions = sql.SQL(" AND ").join(
        sql.SQL("{} = {}").format(sql.Identifier(column), sql.Literal(value))
        for column, value in where.items()
    )
    query = sql.SQL("SELECT 1 FROM {} WHERE {} FOR UPDATE").format(
        sql.Identifier(table), conditions
    )
    with psycopg.connect(test_database_url()) as connection:
        assert connection.execute(query).fetchall(), f"no row of {table} matches {where}"
        yield


def wait_until(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@contextmanager
def app_server(name: str, *, env: dict[str, str], args: tuple[str, ...] = ()) -> Iterator[str]:
    """The ASGI app under a real uvicorn process on a free port, with ``env`` on top of this
    process's environment (the test database, DEBUG on, tasks in process) and extra uvicorn
    ``args``. For tests about what the server itself does: forwarded headers, a Redis that
    does not answer. Yields the base URL; its log is test-artifacts/server-<name>.log."""
    port = free_port()
    full_env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "DEBUG": "true",
        "CELERY_EAGER": "true",
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    with open(ROOT / "test-artifacts" / f"server-{name}.log", "w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--port",
                str(port),
                "--host",
                "127.0.0.1",
                "--log-level",
                "warning",
                *args,
            ],
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_port(port, process)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server_url(django_db_setup, django_db_blocker) -> Iterator[str]:
    """The real ASGI app under uvicorn in its own process, on the test database.

    Tests that use it must commit their data (``transactional_db``), since the server reads
    through its own connections.
    """
    port = free_port()
    shutil.rmtree(LIVE_SERVER_MAIL, ignore_errors=True)
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "DEBUG": "true",
        "CELERY_EAGER": "true",
        "PYTHONUNBUFFERED": "1",
        # A hint's undo window, shorter than in production (5 s) so that the tests that send
        # one wait less; still long enough to click Undo (tests/browser/test_scoring_live.py).
        "HINT_UNDO_MS": "2000",
        # Mail the server sends (partner matches) lands here, where a test can read it.
        "EMAIL_FILE_DIR": str(LIVE_SERVER_MAIL),
    }
    log = open(ROOT / "test-artifacts" / f"live-server{WORKER_SUFFIX}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        _wait_for_other_sessions_to_leave(django_db_blocker)


def _wait_for_other_sessions_to_leave(django_db_blocker, timeout: float = 10.0) -> None:
    """A stopped server's PostgreSQL backends take a moment to exit; the test database can only
    be dropped once they have."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + timeout
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.1)


@pytest.fixture
def browser(transactional_db, monkeypatch) -> Iterator:
    """Chromium through Playwright, for one test.

    Playwright's sync API runs an event loop in this thread, and Django refuses ORM calls next
    to a running loop; the test's own ORM calls are fine (nothing else runs in this thread), so
    the check is off while the browser lives. Depending on ``transactional_db`` makes the
    browser close before the database is flushed.
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
        # With Playwright's loop marked as running, Django keys connections by context: the
        # test's own connection is reachable only from here.
        connections.close_all()


@pytest.fixture
def allow_sync_orm(monkeypatch) -> None:
    """For a test that runs Playwright itself: the ORM next to its event loop (see browser)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config) -> None:
    (ROOT / "test-artifacts").mkdir(exist_ok=True)


def pytest_collection_modifyitems(config, items) -> None:
    """Browser tests last: they are the slowest, and the quick ones should fail first."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def pytest_sessionfinish(session, exitstatus) -> None:
    """In CI a skipped test is a failure: nothing may quietly not run."""
    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"CI: {len(skipped)} test(s) skipped; skipping is not allowed in CI.")
        session.exitstatus = 1
