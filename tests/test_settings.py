"""Settings come from the environment: embedded defaults with nothing set, real services with
DATABASE_URL and REDIS_URL, and a loud failure on bad values. Each case runs in a fresh process
so the settings module is evaluated from scratch."""

import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings

from tests.conftest import ROOT

PROBE = """
import json, django
django.setup()
from django.conf import settings
from config.celery import app
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "bus": type(__import__("interviews.bus", fromlist=["make_bus"]).make_bus()).__name__,
    "cache": settings.CACHES["default"]["BACKEND"],
    "eager": app.conf.task_always_eager,
    "broker": app.conf.broker_url,
    "acks_late": app.conf.task_acks_late,
    "reject_on_worker_lost": app.conf.task_reject_on_worker_lost,
    "debug": settings.DEBUG,
}))
"""
CLEAN_KEYS = (
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CELERY_EAGER",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # the browser tests set it for their own process
)


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in CLEAN_KEYS}
    base["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def probe(**env: str) -> dict:
    result = run_python(PROBE, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_nothing_set_runs_on_embedded_defaults():
    seen = probe()
    assert seen["engine"] == "django.db.backends.sqlite3"
    assert seen["bus"] == "LocalBus"
    assert seen["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert seen["eager"] is True
    assert seen["debug"] is True


def test_an_empty_database_url_counts_as_unset():
    assert probe(DATABASE_URL="", REDIS_URL="")["engine"] == "django.db.backends.sqlite3"


def test_database_and_redis_urls_switch_to_postgres_and_redis():
    seen = probe(DATABASE_URL=os.environ["DATABASE_URL"], REDIS_URL=os.environ["REDIS_URL"])
    assert seen["engine"] == "django.db.backends.postgresql"
    assert seen["bus"] == "RedisBus"
    assert seen["cache"] == "config.cache.FallbackRedisCache"  # Redis, or memory while it is down
    assert seen["eager"] is False
    assert seen["broker"] == os.environ["REDIS_URL"]
    assert seen["acks_late"] is True
    assert seen["reject_on_worker_lost"] is True


def test_the_suite_itself_runs_on_postgres_and_redis():
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.REDIS_URL.startswith("redis://")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG must be one of"),
        ({"DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL must be a URL with scheme"),
        ({"REDIS_URL": "http://localhost:6379"}, "REDIS_URL must be a URL with scheme"),
        ({"DEBUG": "false", "ALLOWED_HOSTS": "example.org"}, "SECRET_KEY must be set"),
        ({"CELERY_TIME_LIMIT": "soon"}, "CELERY_TIME_LIMIT must be an integer"),
        ({"CSRF_TRUSTED_ORIGINS": "example.org"}, "CSRF_TRUSTED_ORIGINS entries must start"),
        ({"FORWARDED_ALLOW_IPS": "proxy.local"}, "FORWARDED_ALLOW_IPS entries must be IP"),
        (
            {
                "DEBUG": "false",
                "SECRET_KEY": "x" * 60,
                "ALLOWED_HOSTS": "example.org",
                "EMAIL_HOST": "smtp.example.org",
                "FORWARDED_ALLOW_IPS": "*",
            },
            "FORWARDED_ALLOW_IPS must list the proxies",
        ),
        ({"INVITE_CODE_REQUIRED": "sometimes"}, "INVITE_CODE_REQUIRED must be one of"),
        ({"NO_SHOW_MINUTES": "0"}, "NO_SHOW_MINUTES must be at least 1"),
        ({"SITE_URL": "ftp://example.org"}, "SITE_URL must be a URL with scheme"),
    ],
)
def test_bad_values_fail_loudly_naming_the_variable(env, message):
    result = run_python(PROBE, **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k7#fQ2!vL9@pX4$wR8^zT1&mN6*bY3(hJ5)cD0-gS2_eA7+uK9=iO4",
    "ALLOWED_HOSTS": "interviews.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://interviews.example.org",
    "EMAIL_HOST": "smtp.example.org",
}


def test_check_deploy_is_clean_with_production_variables():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **{k: v for k, v in os.environ.items() if k not in CLEAN_KEYS},
            **PRODUCTION,
            "DATABASE_URL": os.environ["DATABASE_URL"],
            "REDIS_URL": os.environ["REDIS_URL"],
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr + result.stdout


# --- Production as docker-compose.yml runs it ---------------------------------------------

REQUIRED_SAMPLES = {
    "SECRET_KEY": "k7#fQ2!vL9@pX4$wR8^zT1&mN6*bY3(hJ5)cD0-gS2_eA7+uK9=iO4",
    "EMAIL_HOST": "smtp.example.org",
}


def compose_environment() -> dict[str, str]:
    """A web process's environment as docker-compose.yml has it with nothing set: every
    ``${VAR:-default}`` its default, every required ``${VAR:?…}`` a sample value (compose
    refuses to start without one)."""
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    raw = {**compose["x-app-environment"], **compose["services"]["web1"]["environment"]}
    innermost = re.compile(r"\$\{(\w+)(?::([-?])([^{}]*))?\}")

    def resolve(match: re.Match) -> str:
        name, kind, rest = match.groups()
        if kind == "?":
            return REQUIRED_SAMPLES[name]
        return rest if kind == "-" else ""

    env = {}
    for name, value in raw.items():
        value = str(value)
        while innermost.search(value):
            value = innermost.sub(resolve, value)
        env[name] = value
    return env


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**{k: v for k, v in os.environ.items() if k not in CLEAN_KEYS}, **env},
    )


def test_check_deploy_is_clean_with_the_compose_files_own_defaults():
    env = compose_environment()
    assert env["DEBUG"] == "false" and env["EMAIL_HOST"] == "smtp.example.org"
    result = check_deploy(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_compose_requires_an_email_host():
    text = (ROOT / "docker-compose.yml").read_text()
    assert re.search(r"EMAIL_HOST: \$\{EMAIL_HOST:\?", text)


def test_production_without_an_email_host_stops_with_a_clear_message():
    env = {**PRODUCTION, "EMAIL_HOST": ""}
    result = run_python(PROBE, **env)
    assert result.returncode != 0
    assert "EMAIL_HOST must be set when DEBUG is off" in result.stderr


def test_the_console_for_mail_is_allowed_in_production_when_asked_for_by_name():
    env = {
        **PRODUCTION,
        "EMAIL_HOST": "console",
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": os.environ["REDIS_URL"],
    }
    result = check_deploy(env)
    assert result.returncode == 0, result.stdout + result.stderr
    mail = run_python(
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.MAILERS['default']['BACKEND'])",
        **env,
    )
    assert mail.stdout.strip() == "django.core.mail.backends.console.EmailBackend"


PARTNER_PROBE = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "site": settings.SITE_URL,
    "mail": settings.MAILERS["default"]["BACKEND"],
    "codes": settings.INVITE_CODE_REQUIRED,
    "beat": sorted(settings.CELERY_BEAT_SCHEDULE),
}))
"""


def test_partner_settings_default_from_the_hosts_and_mail_can_go_to_files(tmp_path):
    result = run_python(
        PARTNER_PROBE,
        **{k: v for k, v in PRODUCTION.items() if k != "EMAIL_HOST"},
        EMAIL_FILE_DIR=str(tmp_path),
        INVITE_CODE_REQUIRED="yes",
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["site"] == "https://interviews.example.org"
    assert seen["mail"] == "django.core.mail.backends.filebased.EmailBackend"
    assert seen["codes"] is True
    assert {"partners-match", "partners-reminders", "partners-no-shows"} <= set(seen["beat"])
