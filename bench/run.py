"""``make bench``: the live-room benchmark, end to end.

1. A database of its own (``sevensteps_bench`` on the server of ``DATABASE_URL``, dropped and
   created afresh; never the dev or test database) and a Redis namespace of its own (database
   ``--redis-db`` of the server of ``REDIS_URL``, channel prefix ``sevensteps-bench``).
2. Seeds it through the services (``bench.seed``, ``bench.pages build``; two processes).
3. Page cost (``bench.pages measure``).
4. The same socket load (``bench.load``, a separate process) against: the raw relay
   (``bench.relay``) on uvicorn; the app on uvicorn, one process; the app on two uvicorn
   processes behind the same Redis, the interviewer's socket on one and the candidate's on the
   other, so every message crosses processes through the channel layer.
5. Writes ``bench/results/latest.json`` and ``latest.png`` and prints one line per
   configuration.

The servers run the production way: ``DEBUG=false``, the Redis channel layer, PostgreSQL,
uvicorn with its default (uvloop, httptools, websockets) stack, on loopback ports.
"""

import argparse
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psutil

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PY = sys.executable
BENCH_DB = "sevensteps_bench"
TARGET_P99_MS = 50.0


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
        # As the web service should be deployed (docs/performance.md): a connection pool,
        # and the room's database work in a few threads (ROOM_DB_THREADS defaults to 4).
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
    args.database_url = urlunparse(db._replace(path=f"/{BENCH_DB}"))
    args.admin_url = urlunparse(db._replace(path="/postgres"))
    args.redis_url = urlunparse(urlparse(redis_url)._replace(path=f"/{args.redis_db}"))


def fresh_database(args: argparse.Namespace) -> None:
    import psycopg
    import redis

    with psycopg.connect(args.admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    redis.Redis.from_url(args.redis_url).flushdb()


def settle_database(args: argparse.Namespace) -> None:
    """After seeding: planner statistics for the new tables, and the dirty pages written out,
    so that neither autovacuum nor a checkpoint lands in the middle of a measurement."""
    import psycopg

    with psycopg.connect(args.database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")


def background_cores(seconds: float = 1.0) -> float:
    """CPU in use (in cores) by whatever else runs on the machine, before a configuration:
    figures taken beside someone's test suite are not this machine's figures."""
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
    """Migrate and load the bank, then seed the load's rooms and the page worlds in parallel.
    Seeding runs without Redis (in-memory channel layer: nobody listens yet) and without a
    worker (reports the pages need are compiled by the seed itself)."""
    seed_env = bench_env(args, REDIS_URL="", CELERY_EAGER="false")
    prepare = run_python(args, ["bench.seed", "prepare"], env=seed_env, log="seed.log")
    wait_all([prepare], ["seed.log"], 120)
    jobs = [
        run_python(
            args,
            ["bench.seed", "sessions", "--count", str(max(args.sessions)), "--out", args.manifest],
            env=seed_env,
            log="seed-sessions.log",
        )
    ]
    logs = ["seed-sessions.log"]
    if not args.skip_pages:
        jobs.append(
            run_python(
                args,
                ["bench.pages", "build", "--out", args.world],
                env=seed_env,
                log="seed-pages.log",
            )
        )
        logs.append("seed-pages.log")
    wait_all(jobs, logs, 300)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    ps: psutil.Process = field(init=False)

    def __post_init__(self) -> None:
        self.ps = psutil.Process(self.process.pid)


def start_server(args, app: str, name: str, probe: str) -> Server:
    port = free_port()
    log = open(RESULTS / f"server-{name}.log", "w")  # noqa: SIM115 (closed with the process)
    command = [
        PY,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--lifespan",
        "off",
        # As in production (Makefile, Dockerfile): messages are small and the server is
        # CPU-bound, so per-message compression costs more than it saves. Same for the relay.
        "--ws-per-message-deflate",
        "false",
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=bench_env(args), stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited: see {log.name}")
        try:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{probe}", headers={"Host": "127.0.0.1"}
            )
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            with opener.open(request, timeout=2) as response:
                if response.status == 200:
                    return Server(name, port, process)
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{name} did not answer on {probe} within 30 s")


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


def service_kind(proc: psutil.Process) -> str | None:
    """ "postgres" for the PostgreSQL processes that work for the benchmark (its database's
    backends and the server's own background processes), "redis" for Redis, else None."""
    name = proc.info["name"] or ""
    if name.startswith("redis-server"):
        return "redis"
    if name == "postgres":
        title = " ".join(proc.info["cmdline"] or [])
        # A backend's title names its database; background processes name none we know of.
        backend = "127.0.0.1(" in title or "[local]" in title
        if not backend or f" {BENCH_DB} " in title:
            return "postgres"
    return None


class Monitor:
    """Samples, twice a second in a thread: the servers' memory and CPU, the load generator's
    CPU, PostgreSQL's and Redis's, and the whole machine's. What is left of the machine's is
    other work (another test suite, a browser): reported, as it skews the figures."""

    def __init__(self, servers: list[Server], load_pid: int) -> None:
        self.servers = servers
        self.load = psutil.Process(load_pid)
        self.samples: list[dict] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def sample(self) -> None:
        try:
            cpu = psutil.cpu_times()
            row = {
                "t": time.time(),
                "busy": cpu.user + cpu.system + cpu.nice + getattr(cpu, "irq", 0),
                "all": sum(cpu),
                "server_cpu": 0.0,
                "server_rss": 0,
                "rss": [],
                "services": {},
            }
            for server in self.servers:
                times = server.ps.cpu_times()
                rss = server.ps.memory_info().rss
                row["server_cpu"] += times.user + times.system
                row["server_rss"] += rss
                row["rss"].append(rss)
            times = self.load.cpu_times()
            row["load_cpu"] = times.user + times.system
        except psutil.Error:
            return
        for proc in psutil.process_iter(["name", "cmdline", "cpu_times"]):
            kind = service_kind(proc)
            if kind and proc.info["cpu_times"]:
                times = proc.info["cpu_times"]
                row["services"][proc.pid] = (kind, times.user + times.system)
        self.samples.append(row)

    def loop(self) -> None:
        while not self.done.wait(0.5):
            self.sample()

    def __enter__(self):
        self.sample()
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.thread.join()

    def window(self, start: float, end: float) -> dict:
        """CPU use (in cores) and peak memory over a stage's measured window."""
        inside = [s for s in self.samples if start <= s["t"] <= end]
        if len(inside) < 2:
            return {}
        a, b = inside[0], inside[-1]
        span = b["t"] - a["t"]
        cores = psutil.cpu_count()
        busy = (b["busy"] - a["busy"]) / (b["all"] - a["all"]) * cores if b["all"] > a["all"] else 0
        server = (b["server_cpu"] - a["server_cpu"]) / span
        load = (b["load_cpu"] - a["load_cpu"]) / span
        services = {"postgres": 0.0, "redis": 0.0}
        for pid, (kind, used) in b["services"].items():
            if pid in a["services"]:
                services[kind] += (used - a["services"][pid][1]) / span
        ours = server + load + services["postgres"] + services["redis"]
        return {
            "server_rss_mb": round(max(s["server_rss"] for s in inside) / 2**20, 1),
            "server_rss_mb_each": [
                round(max(r) / 2**20, 1) for r in zip(*(s["rss"] for s in inside), strict=True)
            ],
            "cpu_cores_busy": round(busy, 2),
            "cpu_cores_server": round(server, 2),
            "cpu_cores_load": round(load, 2),
            "cpu_cores_postgres": round(services["postgres"], 2),
            "cpu_cores_redis": round(services["redis"], 2),
            # Everything else: the kernel's share, this orchestrator, and other people's work.
            "cpu_cores_other": round(max(0.0, busy - ours), 2),
        }


def run_configuration(args, name: str, mode: str, processes: int) -> dict:
    """Start the servers, drive the load through them, stop them; the load's figures with the
    servers' memory and CPU per stage."""
    background = background_cores()
    if background > 0.25:
        print(f"  warning: {background} cores busy before the run; figures will suffer")
    if mode == "relay":
        servers = [start_server(args, "bench.relay:app", "relay", "/")]
    else:
        servers = [
            start_server(args, "config.asgi:application", f"app-{processes}p-{i}", "/healthz")
            for i in range(processes)
        ]
    out = RESULTS / f"load-{name}.tmp"
    try:
        load = subprocess.Popen(
            [
                PY,
                "-m",
                "bench.load",
                "--manifest",
                str(args.manifest),
                "--mode",
                mode,
                "--interviewer-url",
                f"ws://127.0.0.1:{servers[0].port}",
                "--candidate-url",
                f"ws://127.0.0.1:{servers[-1].port}",
                "--stages",
                ",".join(map(str, args.sessions)),
                "--duration",
                str(args.duration),
                "--out",
                str(out),
            ],
            cwd=ROOT,
        )
        with Monitor(servers, load.pid) as monitor:
            budget = 240 + len(args.sessions) * (args.duration + 5)
            try:
                code = load.wait(timeout=budget)
            except subprocess.TimeoutExpired:
                load.kill()
                load.wait()
                message = f"the load generator overran {budget:.0f}s against {name}"
                raise SystemExit(message) from None
        if code != 0:
            raise SystemExit(f"the load generator failed ({code}) against {name}")
    finally:
        stop(servers)
    result = json.loads(out.read_text())
    for stage in result["stages"]:
        stage.update(monitor.window(*stage["wall"]))
        if stage.get("cpu_cores_other", 0) > 0.3:
            print(
                f"  warning: {stage['cpu_cores_other']} cores of other work during the "
                f"{stage['sessions']}-session stage; its figures are skewed"
            )
    result["name"], result["processes"] = name, processes
    result["background_cores"] = background
    return result


def headline(config: dict, baseline: dict) -> dict:
    """The largest stage of a configuration, beside the relay's at the same number of
    sessions: the keys the issue asks for, and a few more."""
    last = config["stages"][-1]
    base = next((s for s in baseline["stages"] if s["sessions"] == last["sessions"]), None)
    peer, base_peer = last["peer"], base["peer"] if base else {}

    def ratio(key: str) -> float | None:
        if not peer.get(key) or not base_peer.get(key):
            return None
        return round(peer[key] / base_peer[key], 2)

    for stage in config["stages"]:
        same = next((s for s in baseline["stages"] if s["sessions"] == stage["sessions"]), None)
        if same and stage["peer"].get("p99_ms") and same["peer"].get("p99_ms"):
            stage["ratio_p50"] = round(stage["peer"]["p50_ms"] / same["peer"]["p50_ms"], 2)
            stage["ratio_p99"] = round(stage["peer"]["p99_ms"] / same["peer"]["p99_ms"], 2)
    within = [
        s["sessions"]
        for s in config["stages"]
        if s["peer"].get("p99_ms") is not None and s["peer"]["p99_ms"] < TARGET_P99_MS
    ]
    return {
        "name": config["name"],
        "processes": config["processes"],
        "sessions": last["sessions"],
        "sockets": last["sockets"],
        "p50_ms": peer.get("p50_ms"),
        "p95_ms": peer.get("p95_ms"),
        "p99_ms": peer.get("p99_ms"),
        "max_ms": peer.get("max_ms"),
        "baseline_p50_ms": base_peer.get("p50_ms"),
        "baseline_p99_ms": base_peer.get("p99_ms"),
        "ratio_p50": ratio("p50_ms"),
        "ratio_p99": ratio("p99_ms"),
        "msgs_per_s": last["sent_per_s"],
        "received_per_s": last["received_per_s"],
        "lost": config["lost"],
        "errors": config["errors"],
        "server_rss_mb": last.get("server_rss_mb"),
        "self_p99_ms": last["self"].get("p99_ms"),
        # The most sessions of the sweep whose p99 stayed under the target (None: none did).
        "sessions_within_target": max(within) if within else None,
        "by_stage": {
            s["sessions"]: {"p99_ms": s["peer"].get("p99_ms"), "ratio_p99": s.get("ratio_p99")}
            for s in config["stages"]
        },
        "meets_target": bool(
            peer.get("p99_ms") is not None
            and peer["p99_ms"] < TARGET_P99_MS
            and config["lost"] == 0
        ),
    }


def plot(results: dict, path: Path) -> None:
    """p50 (dotted) and p99 (solid) of the peer-to-peer delay against the number of sessions,
    for the relay and each app configuration, with the p99 target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.4), dpi=90)
    configs = [results["baseline"], *results["raw"]]
    colours = ["#888888", "#1f77b4", "#d62728", "#2ca02c"]
    for config, colour in zip(configs, colours, strict=False):
        x = [s["sessions"] for s in config["stages"]]
        for key, style in (("p50_ms", ":"), ("p99_ms", "-")):
            y = [s["peer"].get(key) for s in config["stages"]]
            label = f"{config['name']} {key[:3]}"
            ax.plot(x, y, style, color=colour, marker="o", markersize=3, label=label)
    ax.axhline(TARGET_P99_MS, color="black", linewidth=0.8, alpha=0.5)
    ax.annotate(
        f"p99 target {TARGET_P99_MS:g} ms",
        (0.01, TARGET_P99_MS * 1.1),
        fontsize=7,
        xycoords=("axes fraction", "data"),
        alpha=0.7,
    )
    ax.set_yscale("log")
    ax.set_xlabel("concurrent sessions (an interviewer and a candidate socket each)")
    ax.set_ylabel("send to the peer's receipt (ms)")
    cpus = results["machine"]["cpus"]
    ax.set_title(f"Live room, ~1 message/s per socket, {cpus} cores", fontsize=10)
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def ms(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def times(value) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}x" if value >= 10 else f"{value:.1f}x"


def summary_line(row: dict) -> str:
    """One line per configuration: its largest stage beside the relay's."""
    return (
        f"{row['name']:<18} {row['sessions']:>4} sessions  "
        f"p50 {ms(row['p50_ms'])} p95 {ms(row['p95_ms'])} p99 {ms(row['p99_ms'])} "
        f"max {ms(row['max_ms'])} ms | relay p50 {ms(row['baseline_p50_ms'])} "
        f"p99 {ms(row['baseline_p99_ms'])} ms | ratio p50 {times(row['ratio_p50'])} "
        f"p99 {times(row['ratio_p99'])} | {row['msgs_per_s']:.0f} msg/s  lost {row['lost']}  "
        f"errors {row['errors']}  RSS {row['server_rss_mb']} MB"
    )


def print_sweep(baseline: dict, rows: list[dict]) -> None:
    counts = [s["sessions"] for s in baseline["stages"]]
    print(f"\nPeer-to-peer p99 in ms (x the relay's) by sessions; target < {TARGET_P99_MS:g} ms:")
    print(f"  {'sessions':<18}" + "".join(f"{n:>18}" for n in counts))
    print(
        f"  {baseline['name']:<18}"
        + "".join(f"{ms(s['peer'].get('p99_ms')):>18}" for s in baseline["stages"])
    )
    for row in rows:
        cells = [
            f"{ms(v['p99_ms'])} ({times(v['ratio_p99'])})" if v["ratio_p99"] else ms(v["p99_ms"])
            for v in row["by_stage"].values()
        ]
        within = row["sessions_within_target"]
        print(
            f"  {row['name']:<18}"
            + "".join(f"{c:>18}" for c in cells)
            + f"   within target up to {within or 'none'}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sessions",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[50, 100, 200],
        help="concurrent sessions per stage, rising (default 50,100,200; the last is the headline)",
    )
    parser.add_argument("--duration", type=float, default=6.0, help="seconds measured per stage")
    parser.add_argument(
        "--processes",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[1, 2],
        help="app configurations to run, by number of server processes (1 and/or 2)",
    )
    parser.add_argument("--skip-pages", action="store_true", help="no page-cost measurement")
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="keep the database seeded by the previous run (faster; rooms carry its history)",
    )
    parser.add_argument(
        "--baseline-from",
        type=Path,
        metavar="JSON",
        help="take the relay's figures from an earlier result instead of measuring them",
    )
    parser.add_argument("--redis-db", type=int, default=10)
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the servers (e.g. DATABASE_POOL_SIZE=0 to compare)",
    )
    parser.add_argument("--out", type=lambda p: Path(p).resolve(), default=RESULTS / "latest.json")
    args = parser.parse_args(argv)
    args.server_env = dict(item.split("=", 1) for item in args.server_env)
    if sorted(args.sessions) != args.sessions or not set(args.processes) <= {1, 2}:
        raise SystemExit("--sessions must rise; --processes is 1, 2 or 1,2")
    derive_urls(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    args.manifest = RESULTS / "manifest.tmp"
    args.world = RESULTS / "world.tmp"
    started = time.monotonic()

    seeded = args.reuse_db and args.manifest.exists()
    if seeded:
        manifest = json.loads(args.manifest.read_text())
        seeded = len(manifest["sessions"]) >= max(args.sessions)
    if not seeded:
        print(f"Seeding {BENCH_DB} ({max(args.sessions)} rooms, page worlds of 1 and 100)...")
        fresh_database(args)
        seed_all(args)
        settle_database(args)
    print(f"  ready in {time.monotonic() - started:.0f}s")

    pages = None
    if not args.skip_pages:
        print("Page cost...")
        server = start_server(args, "config.asgi:application", "pages", "/healthz")
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
        pages = json.loads((RESULTS / "pages.tmp").read_text())
        print(f"  done at {time.monotonic() - started:.0f}s")

    configs = [] if args.baseline_from else [("raw relay", "relay", 1)]
    configs += [(f"app, {n} process{'es' if n > 1 else ''}", "app", n) for n in args.processes]
    raw = []
    for name, mode, processes in configs:
        stages = ",".join(map(str, args.sessions))
        print(f"Load: {name}, {stages} sessions, {args.duration:g}s each...")
        raw.append(run_configuration(args, name, mode, processes))
        print(f"  done at {time.monotonic() - started:.0f}s")
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
        },
        "options": {
            "sessions": args.sessions,
            "duration_s": args.duration,
            "server_env": args.server_env,
            "target_p99_ms": TARGET_P99_MS,
        },
        "configurations": rows,
        "baseline": baseline,
        "raw": raw,
        "pages": pages,
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    plot(results, args.out.with_suffix(".png"))

    print_sweep(baseline, rows)
    print("\nOne line per configuration, at its largest stage:")
    last = baseline["stages"][-1]
    base = last["peer"]
    print(
        f"{baseline['name']:<18} {last['sessions']:>4} sessions  p50 {ms(base.get('p50_ms'))} "
        f"p95 {ms(base.get('p95_ms'))} p99 {ms(base.get('p99_ms'))} max {ms(base.get('max_ms'))} "
        f"ms | {last['sent_per_s']:.0f} msg/s  lost {baseline['lost']}  errors "
        f"{baseline['errors']}  RSS {last.get('server_rss_mb')} MB  (the baseline)"
    )
    for row in rows:
        print(summary_line(row))
    if pages:
        trivial = pages["trivial"]
        print(
            f"pages, median in process (over HTTP) with 1 / 100 sessions; trivial /healthz "
            f"{trivial['median_ms']} ({trivial.get('http_median_ms')}) ms, "
            f"{trivial['queries']} query:"
        )
        for page in pages["pages"]:
            if "skipped" in page:
                print(f"  {page['page']:<10} skipped: {page['skipped']}")
                continue
            one, hundred = page["1"], page["100"]
            print(
                f"  {page['page']:<10} queries {one['queries']} / {hundred['queries']}  "
                f"{one['median_ms']} / {hundred['median_ms']} ms "
                f"({one.get('http_median_ms')} / {hundred.get('http_median_ms')})  "
                f"x trivial {one['ratio_to_trivial']} / {hundred['ratio_to_trivial']} "
                f"({one.get('http_ratio_to_trivial')} / {hundred.get('http_ratio_to_trivial')})"
            )
    png = args.out.with_suffix(".png")
    shown = [p.relative_to(ROOT) if p.is_relative_to(ROOT) else p for p in (args.out, png)]
    print(f"\nWrote {shown[0]} and {shown[1]}", end=" ")
    print(f"in {results['elapsed_s']:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
