"""Sevensteps settings: one file, driven by the environment.

With nothing set the app runs on embedded defaults (SQLite file, in-memory channel layer,
local-memory cache, Celery tasks run in process) so that a fresh clone starts with one command.
``DATABASE_URL`` switches to PostgreSQL, ``REDIS_URL`` turns on the Redis channel layer, the
Celery broker and result backend and the Redis cache. Every variable is parsed by a typed helper
that raises ``ImproperlyConfigured`` naming the variable when its value is bad.
"""

import ipaddress
import os
import warnings
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name)
    if not raw:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no/on/off, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = env_str(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_url(name: str, schemes: set[str]) -> str:
    """A URL whose scheme is one of ``schemes``; an empty value counts as unset."""
    raw = env_str(name)
    if raw and urlparse(raw).scheme not in schemes:
        wanted = ", ".join(sorted(schemes))
        raise ImproperlyConfigured(f"{name} must be a URL with scheme {wanted}, not {raw!r}")
    return raw


DEBUG = env_bool("DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-dev-only-" + "sevensteps-local-key-never-use-in-production"
SECRET_KEY = env_str("SECRET_KEY") or _DEV_SECRET_KEY
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    if urlparse(_origin).scheme not in {"http", "https"}:
        raise ImproperlyConfigured(
            f"CSRF_TRUSTED_ORIGINS entries must start with http:// or https://, not {_origin!r}"
        )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "django_htmx",
    "channels",
    "casestudies",
    "rubrics",
    "accounts",
    "interviews",
    "feedback",
    "partners",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "config.middleware.PrivatePagesMiddleware",
    "config.middleware.RefuseNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_url("DATABASE_URL", {"postgres", "postgresql", "pgsql", "sqlite"})
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0)
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})
        # A pool of open connections per process (psycopg_pool). Without one, each request
        # and each room message opens a connection, which costs more than the queries it runs
        # (about 10 ms on loopback; docs/performance.md). Persistent connections
        # (CONN_MAX_AGE) are no substitute under ASGI, where requests run in fresh threads.
        # Size it for the room's threads (ROOM_DB_THREADS) plus concurrent page requests.
        # 0, the default, keeps Django's one connection per use: set it for the web processes
        # only, as Celery's forked workers must not inherit an open pool.
        DATABASE_POOL_SIZE = env_int("DATABASE_POOL_SIZE", 0)
        if DATABASE_POOL_SIZE:
            DATABASES["default"]["OPTIONS"]["pool"] = {
                "min_size": min(2, DATABASE_POOL_SIZE),
                "max_size": DATABASE_POOL_SIZE,
                "timeout": env_int("DATABASE_POOL_TIMEOUT", 10, minimum=1),
            }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(Path(env_str("SQLITE_PATH") or BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: the room's bus between processes, the cache, Celery --------------------------------
# The live room does not use Channels' channel layers: each process keeps its rooms in memory
# and meets other processes on its own Redis pub/sub bus (interviews/bus.py); without Redis,
# one process and a bus inside it.
REDIS_URL = env_url("REDIS_URL", {"redis", "rediss"})
CHANNEL_LAYERS: dict = {}

if REDIS_URL:
    CACHES = {
        "default": {
            # Redis, or this process's memory while Redis does not answer: a page never fails
            # for the cache's sake (config/cache.py). Short timeouts, so that finding out
            # costs little.
            "BACKEND": "config.cache.FallbackRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_PREFIX", "sevensteps"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# A report worker must not lose work: ack only once the task has finished, requeue a task whose
# worker process died, and take one task at a time so a crash strands at most one message.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_SOFT_TIME_LIMIT", 120, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TIME_LIMIT", 180, minimum=1)
# Unacknowledged messages return to the queue after this long; it must exceed the longest task.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 600, minimum=10),
    # A broker that does not answer is found out in seconds: a report whose hand-over fails
    # is recorded and sent again (feedback.services.report_publish), nobody waits for it.
    "socket_connect_timeout": 2,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
# Nothing reads task results (a report's outcome is its row), and a web process that waits for
# results subscribes to Redis: while Redis is down that retried for 19 s per enqueue and then
# broke the process's Celery app for good.
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# The queue tasks go to and workers listen on (tests give each run a queue of its own).
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
# `celery -A config beat` runs the sweep: wrap-ups past REPORT_DEADLINE_HOURS are completed with
# whatever is in, and reports whose message was lost or whose worker died are enqueued again.
REPORT_REQUEUE_SECONDS = env_int("REPORT_REQUEUE_SECONDS", 30, minimum=1)
# It also runs the partner matching, reminders, no-show marking and expiry of proposals.
PARTNERS_TICK_SECONDS = env_int("PARTNERS_TICK_SECONDS", 60, minimum=1)
CELERY_BEAT_SCHEDULE = {
    "sweep-reports": {
        "task": "feedback.tasks.sweep_reports",
        "schedule": env_int("REPORT_SWEEP_SECONDS", 900, minimum=10),
    },
    # Reports whose hand-over failed while Redis was down go again within this many seconds
    # of its return (a message not taken by then is dropped: the next one does the same).
    "requeue-reports": {
        "task": "feedback.tasks.requeue_reports",
        "schedule": REPORT_REQUEUE_SECONDS,
        "options": {"expires": REPORT_REQUEUE_SECONDS},
    },
    "partners-match": {
        "task": "partners.tasks.match_requests",
        "schedule": env_int("MATCH_SWEEP_SECONDS", 300, minimum=1),
    },
    "partners-reminders": {
        "task": "partners.tasks.send_reminders",
        "schedule": PARTNERS_TICK_SECONDS,
    },
    "partners-no-shows": {
        "task": "partners.tasks.mark_no_shows",
        "schedule": PARTNERS_TICK_SECONDS,
    },
    "partners-expire": {
        "task": "partners.tasks.expire_proposals",
        "schedule": PARTNERS_TICK_SECONDS,
    },
}

# --- Auth and accounts -------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# The partners app's sign-up form: the profile fields (through accounts' services), the time
# zone, and the invite code that puts the new member in a cohort.
ACCOUNT_SIGNUP_FORM_CLASS = "partners.forms.SignupForm"
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# People are named by their display name, never the username allauth generates from the e-mail.
ACCOUNT_USER_DISPLAY = "accounts.selectors.display_name"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Sevensteps] "
# allauth's defaults, with the failed-login lock keyed by (address, account) (see the adapter):
# at most 10 failed logins a minute from one address, and 5 per 5 minutes for one account from
# one address. Counters live in the cache (Redis, or this process's memory while Redis is down:
# config/cache.py). The address is the one the server trusts (FORWARDED_ALLOW_IPS below).
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}

# Outgoing mail (sign-up confirmation, password reset, partner reminders). EMAIL_HOST is an
# SMTP server, or "console": mail printed in the log, chosen on purpose (a trial without mail).
# EMAIL_FILE_DIR writes each message as a file there instead (a trial, and tests whose mail is
# sent by a worker process). In debug an unset EMAIL_HOST means the console; in production one
# of them must be set, or mail would vanish.
_email_host = env_str("EMAIL_HOST")  # not a setting of that name: Django 6.1 has MAILERS
SILENCED_SYSTEM_CHECKS: list[str] = []
if env_str("EMAIL_FILE_DIR"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": env_str("EMAIL_FILE_DIR")},
        }
    }
elif _email_host and _email_host != "console":
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _email_host,
                "port": env_int("EMAIL_PORT", 587, minimum=1),
                "username": env_str("EMAIL_HOST_USER"),
                "password": env_str("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS", default=True),
            },
        }
    }
elif _email_host == "console" or DEBUG:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    if _email_host == "console":
        # Asked for by name: check --deploy need not warn about it (mail.E001).
        SILENCED_SYSTEM_CHECKS.append("mail.E001")
else:
    raise ImproperlyConfigured(
        "EMAIL_HOST must be set when DEBUG is off: the SMTP server for sign-up and "
        "password-reset mail, or 'console' to print mail in the log instead (a trial)"
    )
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Sevensteps <noreply@localhost>")

# --- Security --------------------------------------------------------------------------------
# The proxies whose X-Forwarded-For and X-Forwarded-Proto uvicorn believes (it reads this same
# variable; its default is the loopback addresses). Everything that counts per address (the
# login limits) relies on it: trusting anyone ("*") lets a client choose its own address with
# each request. Listed here so that a bad value stops the app with a message; in production a
# "*" is refused.
FORWARDED_ALLOW_IPS = env_list("FORWARDED_ALLOW_IPS", ["127.0.0.1", "::1"])
for _entry in FORWARDED_ALLOW_IPS:
    if _entry == "*":
        if not DEBUG:
            raise ImproperlyConfigured(
                "FORWARDED_ALLOW_IPS must list the proxies' addresses or networks, not '*': "
                "with '*' any client can choose the address the login limits count"
            )
        continue
    try:
        ipaddress.ip_network(_entry, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"FORWARDED_ALLOW_IPS entries must be IP addresses or networks, not {_entry!r}"
        ) from None

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (Django's own middleware). Scripts and styles come from our files or
# carry the page's nonce; nothing inline otherwise, no eval, no style attribute. Mermaid draws
# under it through static/js/diagram.js (the nonce for its <style>, the CSSOM for the rest);
# htmx is told not to add its own styles (templates/base.html). WebSockets go to 'self'.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    if env_bool("BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # The health check is probed over plain HTTP from inside the compose network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Internationalisation, static files -------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
if DEBUG:
    # In development WhiteNoise serves from the finders; collectstatic's folder need not exist.
    warnings.filterwarnings("ignore", message="No directory at: ")

# Sessions (and with them the messages) live in the database, never in Redis: logging in and
# every page keep working while Redis is down.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        # WeasyPrint and fontTools log every step of every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Voice and video ---------------------------------------------------------------------------
# The browsers connect peer to peer; these tell them how to find each other (interviews/calls.py).
# Without STUN or TURN, two browsers on one network still connect directly; across networks a
# TURN relay is needed (docker-compose.yml has an optional coturn service).
STUN_URLS = env_list("STUN_URLS", [])
TURN_URLS = env_list("TURN_URLS", [])
TURN_SECRET = env_str("TURN_SECRET", "")
TURN_TTL_SECONDS = env_int("TURN_TTL_SECONDS", 6 * 3600, minimum=60)
for _name, _urls, _schemes in (
    ("STUN_URLS", STUN_URLS, ("stun:", "stuns:")),
    ("TURN_URLS", TURN_URLS, ("turn:", "turns:")),
):
    for _url in _urls:
        if not _url.startswith(_schemes):
            raise ImproperlyConfigured(
                f"{_name} holds addresses starting with {' or '.join(_schemes)}, not {_url!r}"
            )
if TURN_URLS and not TURN_SECRET:
    # Without the secret shared with the TURN server there are no credentials to hand out.
    raise ImproperlyConfigured("TURN_URLS needs TURN_SECRET (coturn's static-auth-secret)")

# --- Sevensteps -------------------------------------------------------------------------------
# How long an invite link stays valid, and how long after an interview ends the report is
# compiled with whatever assessments are in.
INVITE_TTL_HOURS = env_int("INVITE_TTL_HOURS", 72, minimum=1)
REPORT_DEADLINE_HOURS = env_int("REPORT_DEADLINE_HOURS", 24, minimum=1)
# A hint or curveball waits this long before it reaches the candidate, so the interviewer can
# take it back ("Sent — Undo"); 0 sends at once.
HINT_UNDO_MS = env_int("HINT_UNDO_MS", 5000)
# A report still compiling after this many seconds is "taking longer than usual" and offers its
# participants a retry (feedback.services.report_nudge).
REPORT_SLOW_SECONDS = env_int("REPORT_SLOW_SECONDS", 45, minimum=1)
# A report claimed by a worker longer ago than this is taken over by the next delivery (its
# worker died). Keep it above CELERY_TIME_LIMIT, so a live worker never loses its claim.
REPORT_CLAIM_STALE_SECONDS = env_int("REPORT_CLAIM_STALE_SECONDS", 300, minimum=1)
# Threads per process that run the live room's database work (interviews/consumers.py). With
# 0, it runs in asgiref's one shared thread, where every room's messages wait in a single
# queue; with a few, one room's save does not wait for another's round trips.
ROOM_DB_THREADS = env_int("ROOM_DB_THREADS", 4)

# --- Finding a partner (partners/) -------------------------------------------------------------
# Sign-up needs an invite code (staff make cohorts and codes); without one, anyone may sign up
# and a code is optional (it puts the new member in its cohort).
INVITE_CODE_REQUIRED = env_bool("INVITE_CODE_REQUIRED", default=False)
# The address links in e-mails start with (mail is sent by workers, which see no request).
SITE_URL = env_url("SITE_URL", {"http", "https"}).rstrip("/") or (
    "http://127.0.0.1:8000" if DEBUG else f"https://{ALLOWED_HOSTS[0].strip('.')}"
)
# A participant who has not joined within this many minutes of the start is a no-show.
NO_SHOW_MINUTES = env_int("NO_SHOW_MINUTES", 10, minimum=1)
# Cancelling a confirmed booking less than this many hours before it counts against reliability.
LATE_CANCEL_HOURS = env_int("LATE_CANCEL_HOURS", 12)
# Reliability is attended / booked over a member's last this-many sessions.
RELIABILITY_WINDOW = env_int("RELIABILITY_WINDOW", 10, minimum=1)
# This many no-shows within NO_SHOW_PAUSE_WINDOW_DAYS pause matching for NO_SHOW_PAUSE_DAYS.
NO_SHOW_PAUSE_AFTER = env_int("NO_SHOW_PAUSE_AFTER", 2, minimum=1)
NO_SHOW_PAUSE_WINDOW_DAYS = env_int("NO_SHOW_PAUSE_WINDOW_DAYS", 30, minimum=1)
NO_SHOW_PAUSE_DAYS = env_int("NO_SHOW_PAUSE_DAYS", 7, minimum=1)
# A proposed match waits this long for both to confirm (and never past its start), then
# expires and both return to the pool. A new match starts at least MATCH_NOTICE_MINUTES ahead.
MATCH_CONFIRM_HOURS = env_int("MATCH_CONFIRM_HOURS", 12, minimum=1)
MATCH_NOTICE_MINUTES = env_int("MATCH_NOTICE_MINUTES", 60)
# A rematch offered after a no-show must be confirmed within this many minutes.
REMATCH_CONFIRM_MINUTES = env_int("REMATCH_CONFIRM_MINUTES", 10, minimum=1)
