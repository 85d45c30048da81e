"""The optional TURN relay of docker-compose.yml, run for real: coturn (Debian's turnserver)
started with the exact command of the compose file's ``turn`` service, and Chromium asking it
for a relay with the credentials the app hands out (interviews/calls.py). A relay candidate
appears only when coturn accepts the credential, so this proves the two agree on the shared
secret scheme, and that a wrong secret or an expired credential is refused."""

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import yaml

from interviews import calls
from tests.conftest import ROOT, free_port, wait_for_port

pytestmark = pytest.mark.browser

SECRET = "a-secret-shared-by-web-and-coturn"

GATHER = """
async (iceServers) => {
  const pc = new RTCPeerConnection({iceServers: iceServers, iceTransportPolicy: "relay"});
  pc.createDataChannel("probe");
  const relay = [], errors = [];
  pc.onicecandidateerror = (e) => errors.push(e.errorCode + " " + e.errorText);
  const done = new Promise((resolve) => {
    pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === "complete") resolve(); };
    setTimeout(resolve, 10000);
  });
  pc.onicecandidate = (e) => {
    const line = e.candidate ? e.candidate.candidate : "";
    if (line.includes(" typ relay ")) relay.push(line);
  };
  await pc.setLocalDescription(await pc.createOffer());
  await done;
  pc.close();
  return {relay: relay, errors: errors};
}
"""


def free_udp_range(size: int) -> int:
    """The first port of ``size`` consecutive UDP ports free right now."""
    for _ in range(50):
        start = free_port()
        if start + size > 65535:
            continue
        taken = []
        try:
            for port in range(start, start + size):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                taken.append(sock)
                sock.bind(("0.0.0.0", port))  # noqa: S104 (coturn relays on every interface)
            return start
        except OSError:
            continue
        finally:
            for sock in taken:
                sock.close()
    raise RuntimeError("no free UDP port range")


@contextmanager
def coturn_as_compose_runs_it(port: int) -> Iterator[None]:
    service = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["turn"]
    assert service["entrypoint"] == ["sh", "-c"]
    # Compose turns "$$" into "$" before the shell sees the command.
    script = service["command"][0].replace("$$", "$")
    assert "--listening-port=3478" in script
    script = script.replace("--listening-port=3478", f"--listening-port={port}")
    relay_from = free_udp_range(20)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TURN_SECRET": SECRET,
        "TURN_REALM": "sevensteps-test",
        "TURN_MIN_PORT": str(relay_from),
        "TURN_MAX_PORT": str(relay_from + 19),
        "TURN_EXTERNAL_IP": "",
    }
    log = open(ROOT / "test-artifacts" / "coturn.log", "w")  # noqa: SIM115
    process = subprocess.Popen(["sh", "-c", script], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def test_the_compose_turn_service_needs_its_secret():
    service = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["turn"]
    script = service["command"][0].replace("$$", "$")
    result = subprocess.run(
        ["sh", "-c", script],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TURN_SECRET": ""},
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 1
    assert "set TURN_SECRET" in result.stderr


def test_coturn_relays_for_the_apps_credentials_only(chromium, settings):
    assert shutil.which("turnserver"), "coturn is needed (Debian: apt-get install coturn)"
    port = free_port()
    settings.STUN_URLS = []
    settings.TURN_URLS = [f"turn:127.0.0.1:{port}?transport=udp"]
    settings.TURN_SECRET = SECRET
    settings.TURN_TTL_SECONDS = 600
    page = chromium.new_page()
    with coturn_as_compose_runs_it(port):
        good = page.evaluate(GATHER, calls.ice_servers(42))
        assert good["relay"], good
        expired = calls.ice_servers(42, now=time.time() - 3600)
        stale = page.evaluate(GATHER, expired)
        assert stale["relay"] == [] and any(e.startswith("401") for e in stale["errors"]), stale
        settings.TURN_SECRET = "not-the-shared-secret"
        wrong = page.evaluate(GATHER, calls.ice_servers(42))
        assert wrong["relay"] == [] and any(e.startswith("401") for e in wrong["errors"]), wrong
