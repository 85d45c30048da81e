"""Page cost: SQL queries and median server time of the main pages, with 1 and with 100
sessions in the database, beside a trivial view (``/healthz``, one ``SELECT 1``).

Run by ``bench.run`` in two steps, with the benchmark's environment:

- ``python -m bench.pages build --out world.json`` seeds, through the services, two worlds: in
  one, each page is read by a viewer with exactly one session; in the other, by a viewer with a
  hundred (a live one, one in its wrap-up, one completed with its report compiled, each fully
  played: notes, diagram, chat, step moves, a hint, scores; and 97 shorter ones);
- ``python -m bench.pages measure --world world.json --out pages.json`` requests each page
  in process through Django's full stack (middleware, session, view, template), counts its
  queries, and times it; the database connection is closed after each request as it is at
  the end of a real one, so every request pays for opening it (or for taking it from the
  pool when ``DATABASE_POOL_SIZE`` is set).

With ``--http-url``, each page is also timed as served: over loopback HTTP (one kept-alive
connection) from the app under uvicorn, which adds the ASGI path to both the page and the
trivial view.

``build`` also writes an identity ``collectstatic`` manifest (each file maps to its own name)
into ``STATIC_ROOT``: pages render static URLs through the production storage without the
half a minute that hashing and compressing the real files takes. A lookup is a lookup.
"""

import argparse
import http.client
import json
import os
import statistics
import sys
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.staticfiles import finders  # noqa: E402
from django.contrib.staticfiles.storage import staticfiles_storage  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import Resolver404, resolve  # noqa: E402

from bench import seed  # noqa: E402
from feedback import services  # noqa: E402  (interview_complete)

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


def identity_manifest() -> None:
    paths = {}
    for finder in finders.get_finders():
        for path, _storage in finder.list(["CVS", ".*", "*~"]):
            paths[path.replace(os.sep, "/")] = path.replace(os.sep, "/")
    manifest = {"paths": paths, "version": staticfiles_storage.manifest_version, "hash": "bench"}
    root = Path(settings.STATIC_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    (root / staticfiles_storage.manifest_name).write_text(json.dumps(manifest))


def page_exists(path: str) -> bool:
    try:
        resolve(path)
        return True
    except Resolver404:
        return False


def measure_http(base: str, path: str, cookie: str | None, repeat: int) -> dict:
    """Median time to fetch ``path`` from the running app, on one kept-alive connection."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = {"Host": "127.0.0.1", **({"Cookie": cookie} if cookie else {})}

    def get() -> int:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status

    for _ in range(3):
        status = get()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        get()
        times.append(time.perf_counter() - started)
    conn.close()
    return {"http_status": status, "http_median_ms": round(statistics.median(times) * 1000, 2)}


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


def cookie_of(client: Client) -> str | None:
    morsel = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return f"{morsel.key}={morsel.value}" if morsel else None


def measure(worlds: dict, repeat: int, http_url: str | None) -> dict:
    def one(client: Client, path: str) -> dict:
        result = measure_one(client, path, repeat)
        if http_url:
            result.update(measure_http(http_url, path, cookie_of(client), repeat))
        return result

    def ratios(result: dict) -> None:
        result["ratio_to_trivial"] = round(result["median_ms"] / trivial["median_ms"], 2)
        if http_url:
            ratio = result["http_median_ms"] / trivial["http_median_ms"]
            result["http_ratio_to_trivial"] = round(ratio, 2)

    trivial = one(Client(HTTP_HOST="127.0.0.1"), TRIVIAL)
    pages = []
    for name, (state, url_of) in PAGES.items():
        row = {"page": name}
        for size in SIZES:
            session = worlds[str(size)]["sessions"][state]
            path = url_of(session["interview"])
            if not page_exists(path):
                row = {"page": name, "skipped": "no such URL yet"}
                break
            result = one(client_for(session["viewer"]), path)
            ratios(result)
            row[str(size)] = result
        else:
            row["queries_constant"] = row["1"]["queries"] == row["100"]["queries"]
        pages.append(row)
    return {"trivial": trivial, "pages": pages, "repeat": repeat, "http": bool(http_url)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build")
    build.add_argument("--out", type=Path, required=True)
    run = sub.add_parser("measure")
    run.add_argument("--world", type=Path, required=True)
    run.add_argument("--out", type=Path, required=True)
    run.add_argument("--repeat", type=int, default=15)
    run.add_argument("--http-url", help="the app under uvicorn, e.g. http://127.0.0.1:8001")
    args = parser.parse_args(argv)
    if args.command == "build":
        seed.fast_writes()
        identity_manifest()
        started = time.perf_counter()
        worlds = {str(size): build_world(size) for size in SIZES}
        args.out.write_text(json.dumps(worlds))
        print(f"built the page worlds in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    else:
        result = measure(json.loads(args.world.read_text()), args.repeat, args.http_url)
        args.out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
