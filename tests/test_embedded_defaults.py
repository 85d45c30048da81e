"""With nothing configured the whole product runs on its embedded defaults: SQLite, the
room's in-process bus, Celery in process. A fresh process proves it end to end: migrate, load
the bank, run an interview through the room's socket, finish it, compile the report."""

import os
import subprocess
import sys

from tests.conftest import ROOT

# DJANGO_ALLOW_ASYNC_UNSAFE: the browser tests set it for their own process; a deployment never
# has it (check --deploy refuses it), so the script runs without it, as production would.
CLEAN = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_EAGER",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def test_an_interview_runs_start_to_report_on_the_embedded_defaults(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in CLEAN}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run(
        # As a module from the root: run as a file, its folder (tests/, with packages named
        # like the apps) would come first on the import path.
        [sys.executable, "-m", "tests.embedded_defaults_script"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert '"status": "ready"' in result.stdout.splitlines()[-1]
