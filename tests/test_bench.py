"""The benchmark cannot rot: its load generator driven for a few seconds against the real app
under uvicorn (and against the raw relay), on rooms its own seed made, with the result keys
docs/performance.md promises; and its statistics count what is late or never arrived."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import stats, summary
from tests import factories
from tests.conftest import ROOT, app_server, free_port, wait_for_port
from tests.conftest import test_database_url as database_url

pytestmark = pytest.mark.django_db(transaction=True)


def run_load(url: str, mode: str, manifest: Path, out: Path, database: bool) -> dict:
    command = [
        *(sys.executable, "-m", "bench.load", "--manifest", str(manifest), "--mode", mode),
        *("--interviewer-url", url, "--candidate-url", url, "--stages", "2,3"),
        *("--duration", "4", "--settle", "1", "--grace", "10", "--out", str(out)),
        *(("--database-url", database_url()) if database else ()),
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(out.read_text())


def relay_url(log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "bench.relay:app", "--port", str(port)),
            *("--host", "127.0.0.1", "--log-level", "warning"),
        ],
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, process)
    return process, f"ws://127.0.0.1:{port}"


def test_the_load_runs_on_the_live_room_and_loses_nothing(tmp_path):
    from bench import seed

    factories.rubric()
    factories.case_study(slug="visual-search")
    sessions, plans = seed.load_sessions(3, threads=1)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"sessions": sessions, "plans": plans}))

    with app_server("bench", env={}) as base:
        app = run_load(base.replace("http", "ws"), "app", manifest, tmp_path / "app.json", True)
    relay, url = relay_url(tmp_path / "relay.log")
    try:
        baseline = run_load(url, "relay", manifest, tmp_path / "relay.json", False)
    finally:
        relay.terminate()
        relay.wait(timeout=10)

    assert app["lost"] == 0 and app["errors"] == 0, app
    assert app["acks_missing"] == 0 and app["connect_failures"] == 0
    durability = app["durability"]
    assert durability["acks_checked"] > 0 and durability["ack_not_durable"] == 0, durability
    last = app["stages"][-1]
    assert last["sessions"] == 3 and last["by_kind"]["notes"]["count"] > 0
    assert last["typing_lag"]["samples"] > 0
    assert last["ack"]["notes"]["count"] > 0  # typing is acknowledged once durable
    assert last["xact_per_s"] is not None
    assert baseline["lost"] == 0 and baseline["stages"][-1]["peer"]["count"] > 0

    row = summary.headline({**app, "name": "app, 1 process", "processes": 1}, baseline)
    for key in ("typing_lag_p99_ms", "ratio_p99", "lost", "errors"):
        assert key in row
        for stage in row["stages"]:
            assert key in stage
    assert [s["sessions"] for s in row["stages"]] == [2, 3]
    assert row["stages"][-1]["ratio_p99"] > 0
    assert row["stages"][-1]["p99_ms_by_kind"]["notes"] > 0


def test_a_message_in_flight_when_the_window_closes_counts_late_or_lost():
    records = [
        [10.0, "notes", 0.002],
        [10.5, "notes", 2.5],  # arrived after the window closed: late, with its true delay
        [11.0, "chat", None],  # never arrived: lost
        [12.5, "notes", 0.001],  # sent after the window: not in it
    ]
    result = stats.delivery(records, 10.0, 12.0)
    assert result["late"] == 1 and result["lost"] == 1
    assert result["by_kind"]["notes"]["max_ms"] == 2500.0
    assert result["by_kind"]["chat"] == {"count": 0, "late": 0, "lost": 1}
    # At the window's end two messages were still out, the oldest for a second and a half.
    assert stats.backlog_at(records, 12.0) == {"count": 2, "oldest_ms": 1500.0}
    # A message the server refused with an error is an error, neither timed nor lost.
    refused = [[10.2, None, None]]
    assert stats.delivery(records + refused, 10.0, 12.0)["lost"] == 1
    assert stats.backlog_at(records + refused, 12.0)["count"] == 2


def test_a_hint_held_for_its_undo_window_is_timed_from_the_end_of_the_hold():
    tracker = stats.Tracker()
    held = (1, "candidate", "delivery", "clarify", "hint", 0)
    chat = (1, "candidate", "chat", "m2")
    tracker.expect(held, "hint", 10.0, "m1")
    tracker.expect(chat, "chat", 10.0, "m2")
    tracker.hold(held, 5.0)  # the server's hint.held: undo_ms 5000
    tracker.hold((1, "candidate", "delivery", "frame", "hint", 0), 5.0)  # not expected: ignored
    tracker.arrive(held, 15.03)
    tracker.arrive(chat, 10.04)
    delays = {kind: round(delay, 3) for _, kind, delay in tracker.records}
    assert delays == {"hint": 0.03, "chat": 0.04}
    assert tracker.holds == {}
