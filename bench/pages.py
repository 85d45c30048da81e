"""Page cost: SQL queries and median server time of the main pages, with 1 and with 100
sessions in the database, beside a trivial view (``/healthz``, one ``SELECT 1``).

Run by ``bench.run`` in two steps, with the benchmark's environment:

- ``python -m bench.pages build --out world.json`` seeds, through the services, a viewer with
  one session and a viewer with a hundred (each session played: notes, diagram, chat, step
  moves, a hint, scores; all but the live one ended);
- ``python -m bench.pages measure --world world.json --out pages.json`` requests each page
  in process through Django's full stack (middleware, session, view, template), counts its
  queries, and times it; the database connection is closed after each request as it is at
  the end of a real one, so every request pays for opening it (or for taking it from the
  pool when ``DATABASE_POOL_SIZE`` is set).

Static file URLs come from the plain storage here (no ``collectstatic`` manifest, which takes
half a minute to build): the manifest's lookup is a dictionary read, not worth that wait.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import Resolver404, resolve  # noqa: E402

from bench import seed  # noqa: E402
from interviews import services  # noqa: E402

SIZES = (1, 100)

# Each page, the session of the world it is read in (by that session's viewer), and its URL.
# Add a page with one line here.
PAGES = {
    "dashboard": ("report", lambda pk: "/dashboard/"),
    "library": ("report", lambda pk: "/library/"),
    "room": ("live", lambda pk: f"/interviews/{pk}/"),
    "wrap-up": ("wrapup", lambda pk: f"/interviews/{pk}/wrap-up/"),
    "report": ("report", lambda pk: f"/interviews/{pk}/report/"),
}
TRIVIAL = "/healthz"


def measured_session(viewer, case, state: str) -> str:
    """One fully played session in ``state``: "live" (the viewer interviews, so the room page
    carries the guide), "wrapup" (ended, assessments not in) or "report" (completed, its
    report compiled). The viewer is the interviewer in all three."""
    peer = seed.user("peer")
    interview = seed.live_interview(viewer, peer, case)
    seed.play(interview, viewer, peer)
    if state != "live":
        seed.finish(interview, viewer, peer, complete=state == "report")
    if state == "report":
        seed.compile_report(interview)
    return str(interview.pk)


def filler_session(viewer, case, n: int) -> None:
    """A short session of the viewer's history, in either role: most completed (by the
    deadline sweep's service; their reports are left to a worker), some still live or in
    their wrap-up, as on a busy account."""
    peer = seed.user("peer")
    interviewer, candidate = (viewer, peer) if n % 2 else (peer, viewer)
    interview = seed.live_interview(interviewer, candidate, case)
    seed.play(interview, interviewer, candidate, rich=False)
    if n % 10 == 0:
        return
    seed.finish(interview, interviewer, candidate, complete=False)
    if n % 10 != 1:
        services.interview_complete(interview_id=interview.pk, reason="deadline")


def build_world(size: int) -> dict:
    """Sessions for the viewers of a world: with size 1, each page is read by a viewer with
    exactly one session (one viewer per state); with size 100, one viewer has them all."""
    cases = seed.published_cases()
    world = {"size": size, "sessions": {}}
    viewer = None
    for n, state in enumerate(("live", "wrapup", "report")):
        if size == 1 or viewer is None:
            viewer = seed.user(f"viewer{size}")
        pk = measured_session(viewer, cases[n % len(cases)], state)
        world["sessions"][state] = {"interview": pk, "viewer": viewer.pk}
    for n in range(size - 3 if size > 3 else 0):
        filler_session(viewer, cases[n % len(cases)], n)
    return world


def page_exists(path: str) -> bool:
    try:
        resolve(path)
        return True
    except Resolver404:
        return False


def measure_one(client: Client, path: str, repeat: int) -> dict:
    for _ in range(3):  # warm the template and URL caches, as a running server has them
        client.get(path)
        close_old_connections()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    queries = len(captured)  # now: the log is reset by the next request
    close_old_connections()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(path)
        close_old_connections()
        times.append(time.perf_counter() - started)
    return {
        "path": path,
        "status": response.status_code,
        "queries": queries,
        "median_ms": round(statistics.median(times) * 1000, 2),
        "bytes": len(response.content),
    }


def client_for(user_id: int) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(pk=user_id))
    return client


def measure(worlds: dict, repeat: int) -> dict:
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        trivial = measure_one(Client(HTTP_HOST="127.0.0.1"), TRIVIAL, repeat)
        pages = []
        for name, (state, url_of) in PAGES.items():
            row = {"page": name}
            for size in SIZES:
                session = worlds[str(size)]["sessions"][state]
                path = url_of(session["interview"])
                if not page_exists(path):
                    row = {"page": name, "skipped": "no such URL yet"}
                    break
                result = measure_one(client_for(session["viewer"]), path, repeat)
                result["ratio_to_trivial"] = round(result["median_ms"] / trivial["median_ms"], 2)
                row[str(size)] = result
            else:
                row["queries_constant"] = row["1"]["queries"] == row["100"]["queries"]
            pages.append(row)
    return {"trivial": trivial, "pages": pages, "repeat": repeat}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build")
    build.add_argument("--out", type=Path, required=True)
    run = sub.add_parser("measure")
    run.add_argument("--world", type=Path, required=True)
    run.add_argument("--out", type=Path, required=True)
    run.add_argument("--repeat", type=int, default=25)
    args = parser.parse_args(argv)
    if args.command == "build":
        seed.fast_writes()
        started = time.perf_counter()
        worlds = {str(size): build_world(size) for size in SIZES}
        args.out.write_text(json.dumps(worlds))
        print(f"built the page worlds in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    else:
        result = measure(json.loads(args.world.read_text()), args.repeat)
        args.out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
