"""The suite runs in several processes (pytest-xdist, ``make test``). pytest-django gives each
worker a test database of its own (``test_sevensteps_gw0``, ...); this plugin gives each its own
Redis database, so that one worker's Celery queue, cache and rate counters are not another's.

It must run before Django reads its settings, which pytest-django does before any conftest is
imported: ``make test`` loads it with ``-p tests.workers`` (Python's ``-m pytest`` puts the
project on the path). Interview ids are UUIDs, so the room's pub/sub channels, which Redis
shares between databases, never meet across workers.
"""

import os
from urllib.parse import urlsplit, urlunsplit

REDIS_DATABASES = 16  # Redis's default ``databases``


def worker_index() -> int | None:
    """0, 1, ... in an xdist worker; None in a run without workers."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker.removeprefix("gw")) if worker.startswith("gw") else None


def redis_url_for_worker(url: str, index: int) -> str:
    """``url`` with its database number moved up by ``index``."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    database = base + index
    if database >= REDIS_DATABASES:
        raise RuntimeError(
            f"worker {index} would need Redis database {database}; this Redis has "
            f"{REDIS_DATABASES}. Run fewer workers (-n) or start from a lower database in "
            "TEST_REDIS_URL."
        )
    return urlunsplit(parts._replace(path=f"/{database}"))


_index = worker_index()
if _index is not None and os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL"] = redis_url_for_worker(os.environ["REDIS_URL"], _index)
