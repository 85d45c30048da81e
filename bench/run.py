"""``make bench``: the live-room benchmark, end to end (docs/performance.md).

1. A database of its own (``--db-name``, default ``sevensteps_bench``, on the server of
   ``DATABASE_URL``; dropped and created afresh, never the dev or test database) and a Redis
   namespace of its own (database ``--redis-db`` of the server of ``REDIS_URL``).
2. Seeds it (``bench.seed``, in parallel): the live rooms the load drives, created through the
   services with real users and sessions, and the history of thousands of past sessions in
   bulk, so the live path writes into tables and indexes of a realistic size.
3. The same open-loop load (``bench.load``, a separate process) against, in turn: the raw relay
   (``bench.relay``) on uvicorn, the floor; the app on one uvicorn process; the app on two
   uvicorn processes behind HAProxy (``deploy/haproxy.cfg``), which sends every socket of an
   interview to the same process.
4. Writes ``bench/results/latest.json`` (and ``latest.png``) and prints a table per stage.

The servers run the production way: ``DEBUG=false``, Redis, PostgreSQL with a pool, uvicorn
with its default stack (uvloop, httptools, websockets) and no per-message compression.
"""

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psutil

from bench.load import RAMP_ALLOWANCE
from bench.monitor import Monitor
from bench.summary import headline, plot, print_results

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"
PY = sys.executable


def bench_env(args: argparse.Namespace, **extra: str) -> dict[str, str]:
    """The environment of every process of the run: production-like settings on the
    benchmark's own database and Redis namespace."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "DATABASE_", "REDIS_"))
    }
    env.update(
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        CHANNEL_PREFIX="sevensteps-bench",
        CACHE_PREFIX="sevensteps-bench",
        DEBUG="false",
        SECRET_KEY="bench-only-" + "k" * 50,  # the seed signs the sessions the servers read
        ALLOWED_HOSTS="127.0.0.1,localhost",
        EMAIL_HOST="console",  # required when DEBUG is off; the benchmark sends no mail
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        LOG_LEVEL="WARNING",
        # Holds only the identity manifest bench.pages writes, so pages render their static
        # URLs through the production storage without a half-minute collectstatic.
        STATIC_ROOT=str(RESULTS / ".static"),
        PYTHONUNBUFFERED="1",
        # As the web service is deployed (docker-compose.yml): a connection pool per process.
        DATABASE_POOL_SIZE="8",
    )
    env.update(args.server_env)
    env.update(extra)
    return env


def derive_urls(args: argparse.Namespace) -> None:
    """The benchmark's database and Redis: the servers of DATABASE_URL and REDIS_URL, with a
    database name and number of their own."""
    database_url = os.environ.get("DATABASE_URL", "").strip()
    redis_url = os.environ.get("REDIS_URL", "").strip()
    if not database_url.startswith(("postgres://", "postgresql://")) or not redis_url:
        raise SystemExit(
            "bench needs PostgreSQL and Redis: set DATABASE_URL=postgres://... and "
            "REDIS_URL=redis://... (make bench does)"
        )
    db = urlparse(database_url)
    args.database_url = urlunparse(db._replace(path=f"/{args.db_name}"))
    args.admin_url = urlunparse(db._replace(path="/postgres"))
    args.redis_url = urlunparse(urlparse(redis_url)._replace(path=f"/{args.redis_db}"))


def fresh_database(args: argparse.Namespace) -> None:
    import psycopg
    import redis

    with psycopg.connect(args.admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.db_name}"')
    redis.Redis.from_url(args.redis_url).flushdb()


def settle_database(args: argparse.Namespace) -> None:
    """After seeding: planner statistics for the tables, and the dirty pages written out, so
    that neither autovacuum's first pass nor a checkpoint lands in a measurement. (The history
    keeps the tables large: this is a settled production database, not a fresh one.)"""
    import psycopg

    with psycopg.connect(args.database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")


def background_cores(seconds: float = 1.0) -> float:
    """CPU in use (in cores) by whatever else runs on the machine, before a configuration."""
    psutil.cpu_percent(percpu=False)
    time.sleep(seconds)
    return round(psutil.cpu_percent(percpu=False) / 100 * psutil.cpu_count(), 2)


def run_python(args, module_args: list[str], *, env=None, log: str) -> subprocess.Popen:
    """Start ``python -m ...``; its output goes to a log file in bench/results."""
    with open(RESULTS / log, "w") as out:
        return subprocess.Popen(
            [PY, "-m", *module_args],
            cwd=ROOT,
            env=env or bench_env(args),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_all(processes: list[subprocess.Popen], logs: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for process, log in zip(processes, logs, strict=True):
        try:
            code = process.wait(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            raise SystemExit(f"{log}: timed out") from None
        if code != 0:
            tail = (RESULTS / log).read_text()[-3000:]
            raise SystemExit(f"{' '.join(process.args[2:4])} failed ({code}):\n{tail}")


def seed_all(args: argparse.Namespace) -> None:
    """Migrate and load the bank, then seed the live rooms, the history and (with --pages) the
    page worlds in parallel. Seeding runs without Redis (nobody listens yet) and without a
    worker (reports the pages need are compiled by the seed itself)."""
    seed_env = bench_env(args, REDIS_URL="", CELERY_EAGER="false")
    prepare = run_python(args, ["bench.seed", "prepare"], env=seed_env, log="seed.log")
    wait_all([prepare], ["seed.log"], 300)
    count = str(max(args.sessions))
    jobs = {
        "seed-sessions.log": ["bench.seed", "sessions", "--count", count, "--out", args.manifest],
    }
    if args.history:
        jobs["seed-history.log"] = ["bench.seed", "history", "--count", str(args.history)]
    if args.pages:
        jobs["seed-pages.log"] = ["bench.pages", "build", "--out", args.world]
    started = [run_python(args, command, env=seed_env, log=log) for log, command in jobs.items()]
    wait_all(started, list(jobs), 900)
    for log in jobs:
        print("  " + (RESULTS / log).read_text().strip().splitlines()[-1])


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen


class Ports:
    """The ports of the run: consecutive from ``--port-base``, or free ones."""

    def __init__(self, base: int) -> None:
        self.base = base

    def get(self, offset: int) -> int:
        if self.base:
            return self.base + offset
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]


def wait_http(process: subprocess.Popen, port: int, probe: str, what: str) -> None:
    deadline = time.monotonic() + 30
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited: see its log in bench/results")
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{probe}", headers={"Host": "127.0.0.1"}
            )
            with opener.open(request, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{what} did not answer on {probe} within 30 s")


def start_server(args, app: str, name: str, probe: str, port: int) -> Server:
    log = open(RESULTS / f"server-{name}.log", "w")  # noqa: SIM115 (closed with the process)
    command = [
        *(PY, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)),
        *("--log-level", "warning", "--no-access-log", "--lifespan", "off"),
        # As in production (Makefile, Dockerfile): messages are small and the server is
        # CPU-bound, so per-message compression costs more than it saves. Same for the relay.
        *("--ws-per-message-deflate", "false"),
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=bench_env(args), stdout=log, stderr=subprocess.STDOUT
    )
    wait_http(process, port, probe, name)
    return Server(name, port, process)


def start_proxy(servers: list[Server], port: int) -> Server:
    """HAProxy with the repository's own configuration, its addresses from the environment."""
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        raise SystemExit(
            "the two-process configuration runs behind HAProxy: install it "
            "(Debian: apt-get install haproxy) or pass --processes 1"
        )
    env = {
        **os.environ,
        "HAPROXY_BIND": f"127.0.0.1:{port}",
        "WEB1": f"127.0.0.1:{servers[0].port}",
        "WEB2": f"127.0.0.1:{servers[1].port}",
        "TRUSTED_PROXIES": "127.0.0.1",
    }
    log = open(RESULTS / "server-haproxy.log", "w")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(
        [haproxy, "-db", "-f", str(HAPROXY_CFG)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    wait_http(process, port, "/healthz", "haproxy")
    return Server("haproxy", port, process)


def stop(servers: list[Server]) -> None:
    for server in servers:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGTERM)
    for server in servers:
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def run_configuration(args, name: str, mode: str, processes: int) -> dict:
    """Start the servers (and the proxy), drive the load through them, stop them; the load's
    figures with the CPU and memory of each stage."""
    background = background_cores()
    if background > 0.25:
        print(f"  warning: {background} cores busy before the run; figures will suffer")
    ports = Ports(args.port_base)
    proxy = None
    if mode == "relay":
        servers = [start_server(args, "bench.relay:app", "relay", "/", ports.get(1))]
    else:
        servers = [
            start_server(
                args,
                "config.asgi:application",
                f"app-{processes}p-{i}",
                "/healthz",
                ports.get(1 + i),
            )
            for i in range(processes)
        ]
    try:
        if processes > 1:
            proxy = start_proxy(servers, ports.get(0))
        url = f"ws://127.0.0.1:{(proxy or servers[0]).port}"
        out = RESULTS / f"load-{mode}-{processes}p.tmp"
        load = subprocess.Popen(
            [
                *(PY, "-m", "bench.load", "--manifest", str(args.manifest), "--mode", mode),
                *("--interviewer-url", url, "--candidate-url", url),
                *("--stages", ",".join(map(str, args.sessions))),
                *("--duration", str(args.duration), "--out", str(out)),
                *(("--database-url", args.database_url) if mode == "app" else ()),
            ],
            cwd=ROOT,
        )
        proxy_pid = proxy.process.pid if proxy else None
        with Monitor(servers, load.pid, args.db_name, proxy_pid) as monitor:
            # The load generator's own bound (bench.load.main), and a minute to write its result.
            budget = 660 + len(args.sessions) * (args.duration + 3 + RAMP_ALLOWANCE) + 30
            try:
                code = load.wait(timeout=budget)
            except subprocess.TimeoutExpired:
                load.kill()
                load.wait()
                raise SystemExit(
                    f"the load generator overran {budget:.0f}s against {name}"
                ) from None
        if code != 0:
            raise SystemExit(f"the load generator failed ({code}) against {name}")
    finally:
        stop([*servers, *([proxy] if proxy else [])])
    result = json.loads(out.read_text())
    for stage in result["stages"]:
        stage.update(monitor.window(*stage["wall"]))
        per_message(stage)
        if stage.get("cpu_cores_other", 0) > 0.3:
            print(
                f"  warning: {stage['cpu_cores_other']} cores of other work during the "
                f"{stage['sessions']}-session stage; its figures are skewed"
            )
    result["name"], result["processes"] = name, processes
    result["background_cores"] = background
    result["proxy"] = "haproxy (deploy/haproxy.cfg)" if proxy else None
    return result


def per_message(stage: dict) -> None:
    """CPU per client message, in ms: the servers', the proxy's, PostgreSQL's backends'."""
    rate = stage.get("sent_per_s") or 0
    if not rate or "cpu_cores_server" not in stage:
        return
    for key in ("server", "proxy", "postgres"):
        stage[f"{key}_cpu_ms_per_msg"] = round(stage[f"cpu_cores_{key}"] / rate * 1000, 3)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    numbers = lambda s: [int(x) for x in s.split(",")]  # noqa: E731
    parser.add_argument(
        "--sessions",
        type=numbers,
        default=[100, 200, 350, 500],
        help="concurrent sessions per stage, rising (default 100,200,350,500)",
    )
    parser.add_argument("--duration", type=float, default=30.0, help="seconds measured per stage")
    parser.add_argument(
        "--processes", type=numbers, default=[1, 2], help="app configurations: 1 and/or 2"
    )
    parser.add_argument(
        "--history", type=int, default=2000, help="past sessions seeded in bulk (default 2000)"
    )
    parser.add_argument("--pages", action="store_true", help="also measure page costs")
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="keep the database seeded by the previous run (rooms carry its history)",
    )
    parser.add_argument(
        "--baseline-from",
        type=Path,
        metavar="JSON",
        help="take the relay's figures from an earlier result instead of measuring them",
    )
    parser.add_argument("--db-name", default="sevensteps_bench")
    # make test's workers take Redis databases 9 and up (tests/workers.py)
    parser.add_argument("--redis-db", type=int, default=15)
    parser.add_argument(
        "--port-base", type=int, default=0, help="ports from here (proxy, then servers)"
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the servers (e.g. ROOM_DB_THREADS=2)",
    )
    parser.add_argument("--out", type=lambda p: Path(p).resolve(), default=RESULTS / "latest.json")
    args = parser.parse_args(argv)
    args.server_env = dict(item.split("=", 1) for item in args.server_env)
    if sorted(args.sessions) != args.sessions or not set(args.processes) <= {1, 2}:
        raise SystemExit("--sessions must rise; --processes is 1, 2 or 1,2")
    if not args.db_name.replace("_", "").isalnum():
        raise SystemExit("--db-name: letters, digits and underscores only")
    return args


def seed_if_needed(args: argparse.Namespace) -> None:
    seeded = args.reuse_db and args.manifest.exists()
    if seeded:
        manifest = json.loads(args.manifest.read_text())
        seeded = len(manifest["sessions"]) >= max(args.sessions)
    if not seeded:
        print(
            f"Seeding {args.db_name}: {max(args.sessions)} live rooms, "
            f"{args.history} past sessions{', page worlds' if args.pages else ''}..."
        )
        fresh_database(args)
        seed_all(args)
        settle_database(args)


def measure_pages(args: argparse.Namespace) -> dict:
    server = start_server(
        args, "config.asgi:application", "pages", "/healthz", Ports(args.port_base).get(1)
    )
    try:
        measure = run_python(
            args,
            [
                *("bench.pages", "measure", "--world", str(args.world)),
                *("--out", str(RESULTS / "pages.tmp")),
                *("--http-url", f"http://127.0.0.1:{server.port}"),
            ],
            log="pages.log",
        )
        wait_all([measure], ["pages.log"], 300)
    finally:
        stop([server])
    return json.loads((RESULTS / "pages.tmp").read_text())


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    derive_urls(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    args.manifest = RESULTS / "manifest.tmp"
    args.world = RESULTS / "world.tmp"
    started = time.monotonic()
    load_before = os.getloadavg()
    seed_if_needed(args)
    print(f"  ready in {time.monotonic() - started:.0f}s")
    pages = measure_pages(args) if args.pages else None

    configs = [] if args.baseline_from else [("raw relay", "relay", 1)]
    configs += [
        (f"app, {n} process{'es behind haproxy' if n > 1 else ''}", "app", n)
        for n in args.processes
    ]
    raw = []
    for name, mode, processes in configs:
        stages = ",".join(map(str, args.sessions))
        print(f"Load: {name}, {stages} sessions, {args.duration:g}s each...")
        raw.append(run_configuration(args, name, mode, processes))
        print(
            f"  done at {time.monotonic() - started:.0f}s (load average {os.getloadavg()[0]:.2f})"
        )
    if args.baseline_from:
        baseline = json.loads(args.baseline_from.read_text())["baseline"]
    else:
        baseline, raw = raw[0], raw[1:]
    rows = [headline(config, baseline) for config in raw]
    results = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": psutil.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "options": {
            "sessions": args.sessions,
            "duration_s": args.duration,
            "history_sessions": args.history,
            "server_env": args.server_env,
        },
        "configurations": rows,
        "baseline": baseline,
        "raw": raw,
        "pages": pages,
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    plot(results, args.out.with_suffix(".png"))
    print_results(results)
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(f"\nWrote {shown} in {results['elapsed_s']:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
