"""Fail fast, with a clear message, when the services the suite needs do not answer."""

import os
import sys
from urllib.parse import urlparse

import psycopg
import redis

PG_HINT = (
    "Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
    "  (or install it: apt-get install postgresql), or point TEST_DATABASE_URL at one."
)
REDIS_HINT = (
    'Start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ""'
    " --appendonly no\n  (or install it: apt-get install redis-server),"
    " or point TEST_REDIS_URL at one."
)


def main() -> int:
    failures = []
    db_url = urlparse(os.environ["DATABASE_URL"])
    # The suite creates its own test database, so only the server has to answer.
    try:
        with psycopg.connect(
            host=db_url.hostname,
            port=db_url.port or 5432,
            user=db_url.username or "postgres",
            password=db_url.password or None,
            dbname="postgres",
            connect_timeout=3,
        ) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        print(f"PostgreSQL {version} answers at {db_url.hostname}:{db_url.port or 5432}")
    except psycopg.Error as exc:
        failures.append(f"PostgreSQL does not answer at {db_url.netloc}: {exc}\n  {PG_HINT}")
    try:
        client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=3)
        info = client.info("server")
        print(f"Redis {info['redis_version']} answers at {os.environ['REDIS_URL']}")
    except redis.RedisError as exc:
        failures.append(
            f"Redis does not answer at {os.environ['REDIS_URL']}: {exc}\n  {REDIS_HINT}"
        )
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
