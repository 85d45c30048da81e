"""CPU and memory of everything a benchmark run involves, sampled from /proc (psutil).

Twice a second, in a thread: the app servers (or the relay), the proxy, the load generator,
PostgreSQL (the backends connected to the benchmark's database, and the server's own background
processes apart), Redis, and the whole machine. What is left of the machine's busy time is
other work (another test suite on a shared machine), reported so a skewed stage shows as one.
"""

import threading
import time

import psutil


def service_kind(proc: psutil.Process, database: str) -> str | None:
    """ "postgres" for a backend of the benchmark's database, "postgres_bg" for PostgreSQL's
    own background processes (shared with every other database on the server), "redis" for
    Redis, else None."""
    name = proc.info["name"] or ""
    if name.startswith("redis-server"):
        return "redis"
    if name == "postgres":
        title = " ".join(proc.info["cmdline"] or [])
        # A backend's title names its user, database and client; background ones do not.
        if "127.0.0.1(" in title or "[local]" in title or "::1(" in title:
            return "postgres" if f" {database} " in title else None
        return "postgres_bg"
    return None


def cpu_of(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system


class Monitor:
    def __init__(self, servers: list, load_pid: int, database: str, proxy_pid: int | None = None):
        self.servers = [psutil.Process(s.process.pid) for s in servers]
        self.proxy = psutil.Process(proxy_pid) if proxy_pid else None
        self.load = psutil.Process(load_pid)
        self.database = database
        self.samples: list[dict] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def sample(self) -> None:
        try:
            cpu = psutil.cpu_times()
            row = {
                "t": time.time(),
                "busy": cpu.user
                + cpu.system
                + cpu.nice
                + getattr(cpu, "irq", 0)
                + getattr(cpu, "softirq", 0),
                "all": sum(cpu),
                "server_cpu": sum(cpu_of(p) for p in self.servers),
                "rss": [p.memory_info().rss for p in self.servers],
                "proxy_cpu": cpu_of(self.proxy) if self.proxy else 0.0,
                "load_cpu": cpu_of(self.load),
                "services": {},
            }
        except psutil.Error:
            return
        for proc in psutil.process_iter(["name", "cmdline", "cpu_times"]):
            kind = service_kind(proc, self.database)
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
        """CPU use (in cores) and peak memory over a stage's measured window. A PostgreSQL
        backend that started inside the window counts from zero (its whole life is inside)."""
        inside = [s for s in self.samples if start <= s["t"] <= end]
        if len(inside) < 2:
            return {}
        a, b = inside[0], inside[-1]
        span = b["t"] - a["t"]
        cores = psutil.cpu_count()
        busy = (b["busy"] - a["busy"]) / (b["all"] - a["all"]) * cores if b["all"] > a["all"] else 0
        server = (b["server_cpu"] - a["server_cpu"]) / span
        proxy = (b["proxy_cpu"] - a["proxy_cpu"]) / span
        load = (b["load_cpu"] - a["load_cpu"]) / span
        services = {"postgres": 0.0, "postgres_bg": 0.0, "redis": 0.0}
        for pid, (kind, used) in b["services"].items():
            before = a["services"].get(pid, (kind, 0.0))[1]
            services[kind] += (used - before) / span
        ours = server + proxy + load + sum(services.values())
        return {
            "server_rss_mb": round(max(sum(s["rss"]) for s in inside) / 2**20, 1),
            "server_rss_mb_each": [
                round(max(r) / 2**20, 1) for r in zip(*(s["rss"] for s in inside), strict=True)
            ],
            "cpu_cores_busy": round(busy, 2),
            "cpu_cores_server": round(server, 3),
            "cpu_cores_proxy": round(proxy, 3),
            "cpu_cores_load": round(load, 3),
            "cpu_cores_postgres": round(services["postgres"], 3),
            "cpu_cores_postgres_bg": round(services["postgres_bg"], 3),
            "cpu_cores_redis": round(services["redis"], 3),
            # Everything else: the kernel's share, this orchestrator, and other people's work.
            "cpu_cores_other": round(max(0.0, busy - ours), 2),
        }
