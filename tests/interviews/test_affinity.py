"""Interview affinity: two real uvicorn processes behind a real HAProxy running the
repository's own configuration (deploy/haproxy.cfg, as docker-compose runs it).

- Every socket of one interview is served by the same process (the room lives in its memory),
  and different interviews spread over both processes.
- The proxy drops an X-Forwarded-For a client made up, and passes the one a trusted proxy in
  front sent (the app's login limits count per address).

Which process served what is read from each uvicorn's own access log.
"""

import asyncio
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.request import ProxyHandler, Request, build_opener

import orjson
import pytest
import websockets
from django.conf import settings
from django.test import Client

from interviews import services
from tests import factories
from tests.conftest import ROOT, app_server, free_port, wait_for_port
from tests.interviews.conftest import make_peer

pytestmark = pytest.mark.django_db(transaction=True)
CONFIG = ROOT / "deploy" / "haproxy.cfg"
SERVER_ARGS = ("--log-level", "info", "--proxy-headers")
SERVER_ENV = {"FORWARDED_ALLOW_IPS": "127.0.0.1"}  # the proxy, on loopback


def cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@contextmanager
def haproxy(web1: str, web2: str, *, trusted: str, name: str) -> Iterator[int]:
    """deploy/haproxy.cfg in front of the two servers; yields its port once both servers are
    up behind it (its health checks reached them)."""
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    port = free_port()
    env = {
        **os.environ,
        "HAPROXY_BIND": f"127.0.0.1:{port}",
        "WEB1": f"127.0.0.1:{port_of(web1)}",
        "WEB2": f"127.0.0.1:{port_of(web2)}",
        "TRUSTED_PROXIES": trusted,
    }
    with open(ROOT / "test-artifacts" / f"haproxy-{name}.log", "w") as log:
        process = subprocess.Popen(
            [binary, "-db", "-f", str(CONFIG)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_for_port(port, process)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=10)


def served(log_name: str) -> str:
    return (ROOT / "test-artifacts" / f"server-{log_name}.log").read_text()


def get(port: int, path: str, headers: dict[str, str]) -> int:
    opener = build_opener(ProxyHandler({}))
    request = Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    with opener.open(request, timeout=10) as response:
        return response.status


async def open_room(port: int, interview_id, user_cookie: str):
    socket = await websockets.connect(
        f"ws://127.0.0.1:{port}/ws/interviews/{interview_id}/",
        origin=f"http://127.0.0.1:{port}",
        additional_headers={"Cookie": user_cookie},
        proxy=None,
    )
    snapshot = orjson.loads(await asyncio.wait_for(socket.recv(), 10))
    assert snapshot["type"] == "snapshot"
    return socket


def test_every_socket_of_an_interview_reaches_one_process_and_interviews_spread():
    factories.rubric()
    case = factories.case_study(slug="visual-search")
    peers = [make_peer(case) for _ in range(16)]
    for peer in peers:
        services.interview_start(actor=peer.actor("interviewer"))
    first = peers[0]
    cookies = {
        "interviewer": [cookie(peer.interviewer) for peer in peers],
        "candidate": cookie(first.candidate),
    }
    with (
        app_server("affinity-1", env=SERVER_ENV, args=SERVER_ARGS) as web1,
        app_server("affinity-2", env=SERVER_ENV, args=SERVER_ARGS) as web2,
        haproxy(web1, web2, trusted="10.255.255.1", name="affinity") as port,
    ):

        async def talk() -> None:
            interviewer = await open_room(port, first.interview.pk, cookies["interviewer"][0])
            candidate = await open_room(port, first.interview.pk, cookies["candidate"])
            await candidate.send(
                orjson.dumps(
                    {"type": "chat.send", "id": "c1", "payload": {"text": "through the proxy"}}
                ).decode()
            )
            deadline = time.monotonic() + 10
            while True:  # the interviewer sees it: the room works through the proxy
                message = orjson.loads(await asyncio.wait_for(interviewer.recv(), 10))
                if message["type"] == "chat.message":
                    assert message["payload"]["text"] == "through the proxy"
                    break
                assert time.monotonic() < deadline
            others = [
                await open_room(port, peer.interview.pk, cookies["interviewer"][n])
                for n, peer in enumerate(peers[1:], start=1)
            ]
            for socket in [interviewer, candidate, *others]:
                await socket.close()

        asyncio.run(talk())
        time.sleep(0.3)  # the access logs are written
        logs = {"web1": served("affinity-1"), "web2": served("affinity-2")}

    def accepted(log: str, peer) -> int:
        return len(
            re.findall(rf"WebSocket /ws/interviews/{peer.interview.pk}/\S* \[accepted\]", log)
        )

    # Both sockets of the first interview: the same process, twice; none on the other.
    counts = sorted(accepted(log, first) for log in logs.values())
    assert counts == [0, 2], logs
    # Every interview on exactly one process, and both processes have some.
    homes = {}
    for peer in peers:
        where = [name for name, log in logs.items() if accepted(log, peer)]
        assert len(where) == 1, (peer.interview.pk, where)
        homes[peer.interview.pk] = where[0]
    assert set(homes.values()) == {"web1", "web2"}, homes


def test_the_proxy_drops_a_made_up_forwarded_address_and_passes_a_trusted_one():
    made_up = "203.0.113.9"
    headers = {"X-Forwarded-For": made_up, "Host": "localhost"}
    with (
        app_server("forwarded-1", env=SERVER_ENV, args=SERVER_ARGS) as web1,
        app_server("forwarded-2", env=SERVER_ENV, args=SERVER_ARGS) as web2,
    ):
        with haproxy(web1, web2, trusted="10.255.255.1", name="untrusted") as port:
            for _ in range(4):  # pages are spread: both processes see the header
                assert get(port, "/healthz", headers) == 200
        time.sleep(0.3)
        untrusted = served("forwarded-1") + served("forwarded-2")
        # The app sees the connection's own address, as the proxy forwarded it.
        assert '127.0.0.1:0 - "GET /healthz' in untrusted
        assert made_up not in untrusted
        with haproxy(web1, web2, trusted="127.0.0.1", name="trusted") as port:
            for _ in range(4):
                assert get(port, "/healthz", headers) == 200
        time.sleep(0.3)
        trusted = served("forwarded-1") + served("forwarded-2")
    assert f'{made_up}:0 - "GET /healthz' in trusted
