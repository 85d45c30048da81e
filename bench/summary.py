"""The benchmark's results: one row per configuration and stage beside the relay's, the
issue's targets checked, a table printed, a plot drawn (docs/performance.md lists the keys)."""

from pathlib import Path

from bench.stats import PEER_KINDS

# The targets (issue 12), on this 2-core machine with the load generator on the same box.
TARGETS = {
    "sessions": 500,
    "p99_ms_every_kind": 20.0,
    "typing_lag_p99_ms": 150.0,
    "ratio_p99": 15.0,
    "lost": 0,
    "late": 0,
}
CPU_KEYS = (
    "cpu_cores_busy",
    "cpu_cores_server",
    "cpu_cores_proxy",
    "cpu_cores_load",
    "cpu_cores_postgres",
    "cpu_cores_postgres_bg",
    "cpu_cores_redis",
    "cpu_cores_other",
    "server_cpu_ms_per_msg",
    "proxy_cpu_ms_per_msg",
    "postgres_cpu_ms_per_msg",
    "server_rss_mb",
)


def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def stage_row(stage: dict, base: dict | None) -> dict:
    """The keys of one stage of one configuration (see docs/performance.md)."""
    peer, lag = stage["peer"], stage["typing_lag"]
    base_peer = base["peer"] if base else {}
    kinds = {k: v for k, v in stage["by_kind"].items() if k in PEER_KINDS or k == "score"}
    row = {
        "sessions": stage["sessions"],
        "p50_ms": peer.get("p50_ms"),
        "p99_ms": peer.get("p99_ms"),
        "max_ms": peer.get("max_ms"),
        "baseline_p50_ms": base_peer.get("p50_ms"),
        "baseline_p99_ms": base_peer.get("p99_ms"),
        "ratio_p50": ratio(peer.get("p50_ms"), base_peer.get("p50_ms")),
        "ratio_p99": ratio(peer.get("p99_ms"), base_peer.get("p99_ms")),
        "p99_ms_by_kind": {k: v.get("p99_ms") for k, v in kinds.items()},
        "p50_ms_by_kind": {k: v.get("p50_ms") for k, v in kinds.items()},
        "count_by_kind": {k: v.get("count", 0) for k, v in kinds.items()},
        "baseline_p99_ms_by_kind": {
            k: v.get("p99_ms") for k, v in (base or {}).get("by_kind", {}).items()
        },
        "typing_lag_p50_ms": lag.get("p50_ms"),
        "typing_lag_p99_ms": lag.get("p99_ms"),
        "typing_lag_max_ms": lag.get("max_ms"),
        "baseline_typing_lag_p99_ms": (base or {}).get("typing_lag", {}).get("p99_ms"),
        "lost": stage["lost"],
        "late": stage["late"],
        "errors": stage["errors"],
        "backlog_end": stage["backlog_end"]["count"],
        "backlog_oldest_ms": stage["backlog_end"]["oldest_ms"],
        "ack_p99_ms_by_kind": {k: v.get("p99_ms") for k, v in stage.get("ack", {}).items()},
        "acks_missing": stage.get("acks_missing", 0),
        "msgs_per_s": stage["sent_per_s"],
        "received_per_s": stage["received_per_s"],
        "xact_per_s": stage.get("xact_per_s"),
        **{key: stage.get(key) for key in CPU_KEYS},
    }
    row["missed"] = missed_targets(row)
    return row


def missed_targets(row: dict) -> list[str]:
    """The targets this stage misses, each with by how much."""
    misses = []
    limit = TARGETS["p99_ms_every_kind"]
    for kind, p99 in row["p99_ms_by_kind"].items():
        if kind in PEER_KINDS and p99 is not None and p99 > limit:
            misses.append(f"{kind} p99 {p99:g} ms > {limit:g} ({p99 / limit:.1f}x)")
    lag = row["typing_lag_p99_ms"]
    if lag is not None and lag > TARGETS["typing_lag_p99_ms"]:
        misses.append(f"typing lag p99 {lag:g} ms > {TARGETS['typing_lag_p99_ms']:g}")
    if row["ratio_p99"] is not None and row["ratio_p99"] > TARGETS["ratio_p99"]:
        misses.append(f"p99 {row['ratio_p99']:g}x the relay's > {TARGETS['ratio_p99']:g}x")
    if row["lost"]:
        misses.append(f"{row['lost']} lost")
    if row["late"]:
        misses.append(f"{row['late']} late (> 1 s)")
    return misses


def headline(config: dict, baseline: dict) -> dict:
    """A configuration: every stage beside the relay's stage of the same size, and the run's
    totals (lost after the grace period, errors, acknowledgements checked)."""
    base_by = {s["sessions"]: s for s in baseline["stages"]}
    stages = [stage_row(s, base_by.get(s["sessions"])) for s in config["stages"]]
    last = stages[-1]
    durability = config.get("durability") or {}
    return {
        "name": config["name"],
        "processes": config["processes"],
        "proxy": config.get("proxy"),
        "sessions": last["sessions"],
        "p50_ms": last["p50_ms"],
        "p99_ms": last["p99_ms"],
        "ratio_p99": last["ratio_p99"],
        "typing_lag_p99_ms": last["typing_lag_p99_ms"],
        "lost": config["lost"],
        "errors": config["errors"],
        "errors_by_kind": config["errors_by_kind"],
        "acks_missing": config.get("acks_missing", 0),
        "acks_checked": durability.get("acks_checked"),
        "ack_not_durable": durability.get("ack_not_durable"),
        "connect_failures": config["connect_failures"],
        "meets_targets": bool(
            last["sessions"] >= TARGETS["sessions"]
            and not last["missed"]
            and config["lost"] == 0
            and not durability.get("ack_not_durable")
        ),
        "stages": stages,
    }


def fmt(value, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}{unit}" if value < 100 else f"{value:.0f}{unit}"
    return f"{value}{unit}"


def print_results(results: dict) -> None:
    machine = results["machine"]
    print(
        f"\n{machine['cpus']} cores; load average before the run {machine['load_average_before']}"
        f", after {machine['load_average_after']} (other work per stage: cpu_cores_other)"
    )
    print("\nPer stage (ms; p99 over peer kinds; lag = typing lag; CPU ms per client message):")
    header = (
        f"  {'configuration':<34}{'sess':>5}{'msg/s':>7}{'p50':>7}{'p99':>8}{'xrelay':>7}"
        f"{'lag p99':>8}{'lost':>6}{'late':>6}{'err':>5}{'backlog':>8}{'xact/s':>8}"
        f"{'srv ms':>7}{'pg ms':>7}{'other':>6}"
    )
    print(header)
    for stage in results["baseline"]["stages"]:
        print(
            f"  {'raw relay':<34}{stage['sessions']:>5}{fmt(stage['sent_per_s']):>7}"
            f"{fmt(stage['peer'].get('p50_ms')):>7}{fmt(stage['peer'].get('p99_ms')):>8}"
            f"{'':>7}{fmt(stage['typing_lag'].get('p99_ms')):>8}{stage['lost']:>6}"
            f"{stage['late']:>6}{stage['errors']:>5}{stage['backlog_end']['count']:>8}"
        )
    for config in results["configurations"]:
        for row in config["stages"]:
            print(
                f"  {config['name']:<34}{row['sessions']:>5}{fmt(row['msgs_per_s']):>7}"
                f"{fmt(row['p50_ms']):>7}{fmt(row['p99_ms']):>8}{fmt(row['ratio_p99'], 'x'):>7}"
                f"{fmt(row['typing_lag_p99_ms']):>8}{row['lost']:>6}{row['late']:>6}"
                f"{row['errors']:>5}{row['backlog_end']:>8}{fmt(row['xact_per_s']):>8}"
                f"{fmt(row['server_cpu_ms_per_msg']):>7}{fmt(row['postgres_cpu_ms_per_msg']):>7}"
                f"{fmt(row['cpu_cores_other']):>6}"
            )
    print("\np99 by kind at each configuration's largest stage (ms):")
    for config in results["configurations"]:
        last = config["stages"][-1]
        kinds = ", ".join(f"{k} {fmt(v)}" for k, v in last["p99_ms_by_kind"].items())
        print(f"  {config['name']}: {kinds}")
    print("\nTargets (500 sessions; p99 <= 20 ms per kind, lag <= 150 ms, <= 15x relay, 0 lost):")
    for config in results["configurations"]:
        last = config["stages"][-1]
        verdict = "met" if config["meets_targets"] else "missed: " + "; ".join(last["missed"])
        print(
            f"  {config['name']}: {verdict} | run: lost {config['lost']}, errors "
            f"{config['errors']}, acks missing {config['acks_missing']}, acks checked in the "
            f"database {config['acks_checked']} (not durable: {config['ack_not_durable']})"
        )


def plot(results: dict, path: Path) -> None:
    """p99 and typing-lag p99 against the number of sessions, per configuration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.4), dpi=90)
    colours = ["#888888", "#1f77b4", "#d62728", "#2ca02c"]
    base = results["baseline"]["stages"]
    x = [s["sessions"] for s in base]
    ax.plot(
        x,
        [s["peer"].get("p99_ms") for s in base],
        "-",
        color=colours[0],
        marker="o",
        markersize=3,
        label="raw relay p99",
    )
    ax.plot(
        x,
        [s["typing_lag"].get("p99_ms") for s in base],
        ":",
        color=colours[0],
        marker="s",
        markersize=3,
        label="raw relay typing lag p99",
    )
    for config, colour in zip(results["configurations"], colours[1:], strict=False):
        x = [s["sessions"] for s in config["stages"]]
        ax.plot(
            x,
            [s["p99_ms"] for s in config["stages"]],
            "-",
            color=colour,
            marker="o",
            markersize=3,
            label=f"{config['name']} p99",
        )
        ax.plot(
            x,
            [s["typing_lag_p99_ms"] for s in config["stages"]],
            ":",
            color=colour,
            marker="s",
            markersize=3,
            label=f"{config['name']} typing lag p99",
        )
    for value, label in ((20, "p99 target 20 ms"), (150, "typing lag target 150 ms")):
        ax.axhline(value, color="black", linewidth=0.8, alpha=0.4)
        ax.annotate(label, (0.01, value * 1.1), fontsize=7, xycoords=("axes fraction", "data"))
    ax.set_yscale("log")
    ax.set_xlabel("concurrent sessions (an interviewer and a candidate socket each)")
    ax.set_ylabel("ms")
    ax.set_title(
        f"Live room, open-loop human typing, {results['machine']['cpus']} cores", fontsize=10
    )
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=6, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
