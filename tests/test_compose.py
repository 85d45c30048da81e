"""docker-compose.yml cannot run here (no Docker engine), so check it offline: valid against the
Compose specification, and every command it (and the Dockerfile) runs exists in the project."""

import ipaddress
import re
import shlex
import shutil
import subprocess
import sys

import pytest
import yaml
from django.core.management import get_commands

from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_file_is_valid_against_the_compose_specification():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(ROOT / "docker-compose.yml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


WEBS = ("web1", "web2")


def test_compose_runs_the_proxy_two_web_processes_worker_beat_database_and_redis():
    services = COMPOSE["services"]
    assert {"proxy", *WEBS, "migrate", "worker", "beat", "db", "redis"} <= set(services)
    for name in ("proxy", *WEBS, "worker", "db", "redis"):
        assert "healthcheck" in services[name], name
    for name in WEBS:
        depends = services[name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert services["proxy"]["depends_on"] == {
        name: {"condition": "service_healthy"} for name in WEBS
    }
    assert {"pgdata", "redisdata"} <= set(COMPOSE["volumes"])
    env = COMPOSE["x-app-environment"]
    assert env["DEBUG"] == "false"
    assert env["DATABASE_URL"].startswith("postgres://")
    assert env["REDIS_URL"].startswith("redis://")


def words_of(service) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def test_manage_py_commands_used_by_compose_exist():
    text = (ROOT / "docker-compose.yml").read_text() + (ROOT / "Dockerfile").read_text()
    used = set(re.findall(r"manage\.py (\w+)", text))
    assert {"migrate", "load_content", "collectstatic"} <= used
    assert used <= set(get_commands()), used - set(get_commands())


def test_the_asgi_application_named_by_compose_and_dockerfile_imports():
    web = " ".join(" ".join(words_of(COMPOSE["services"][name])) for name in WEBS)
    dockerfile = (ROOT / "Dockerfile").read_text()
    targets = set(re.findall(r"uvicorn (\S+)", web)) | set(
        re.findall(r'"uvicorn", "([^"]+)"', dockerfile)
    )
    assert targets == {"config.asgi:application"}
    module, attribute = targets.pop().split(":")
    result = subprocess.run(
        [sys.executable, "-c", f"import {module} as m; print(type(m.{attribute}).__name__)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ProtocolTypeRouter"


@pytest.mark.parametrize("service", ["worker", "beat"])
def test_the_celery_commands_exist(service):
    words = words_of(COMPOSE["services"][service])
    assert words[:3] == ["celery", "--app", "config"]
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "celery"), "--app", "config", words[3], "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    for flag in [w for w in words[4:] if w.startswith("--")]:
        assert flag in result.stdout, flag


def test_only_the_web_processes_keep_a_connection_pool():
    services = COMPOSE["services"]
    for name in WEBS:
        assert int(services[name]["environment"]["DATABASE_POOL_SIZE"]) > 0
    for name in ("migrate", "worker", "beat"):
        assert "DATABASE_POOL_SIZE" not in services[name]["environment"], name


def test_the_proxy_is_the_one_way_in_and_routes_by_the_repository_config():
    """Only the proxy publishes a port; the web processes believe X-Forwarded-For from the
    proxy's fixed address alone, which lies in the project's network; the proxy runs
    deploy/haproxy.cfg and names both web processes."""
    services = COMPOSE["services"]
    proxy = services["proxy"]
    published = [name for name, service in services.items() if service.get("ports")]
    assert published == ["proxy"]
    assert proxy["ports"] == ["${WEB_BIND:-127.0.0.1}:${PORT:-8000}:8080"]
    assert "./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in proxy["volumes"]
    assert proxy["environment"]["HAPROXY_BIND"] == ":8080"
    assert {proxy["environment"]["WEB1"], proxy["environment"]["WEB2"]} == {
        f"{name}:8000" for name in WEBS
    }
    address = proxy["networks"]["default"]["ipv4_address"]
    assert address == "${PROXY_ADDRESS:-172.30.57.10}"
    for name in WEBS:
        environment = services[name]["environment"]
        assert environment["FORWARDED_ALLOW_IPS"] == address, name
        assert "--proxy-headers" in words_of(services[name])
        assert "--workers" not in words_of(services[name])  # one process each: one room each
    subnet = COMPOSE["networks"]["default"]["ipam"]["config"][0]["subnet"]
    default_address = ipaddress.ip_address("172.30.57.10")
    default_subnet = ipaddress.ip_network(subnet.split(":-")[1].rstrip("}"))
    assert default_address in default_subnet


def test_the_proxy_config_hashes_the_interview_of_the_socket_path():
    """The socket's path is /ws/interviews/<id>/ (interviews/routing.py); the proxy hashes its
    first three levels, consistently, for the rooms' backend."""
    from interviews.routing import websocket_urlpatterns

    assert str(websocket_urlpatterns[0].pattern) == "ws/interviews/<str:pk>/"
    config = (ROOT / "deploy" / "haproxy.cfg").read_text()
    rooms = config.split("\nbackend rooms\n", 1)[1].split("\nbackend ", 1)[0]
    assert "balance uri depth 3" in rooms
    assert "hash-type consistent" in rooms
    assert "acl room path_beg /ws/interviews/" in config
    assert "http-request del-header X-Forwarded-For unless from_trusted" in config


def test_haproxy_accepts_the_config():
    """``haproxy -c``, as ``make check-haproxy`` runs it (haproxy is installed by make test)."""
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    result = subprocess.run(
        [haproxy, "-c", "-f", str(ROOT / "deploy" / "haproxy.cfg")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Configuration file is valid" in result.stdout


# --- The optional TURN relay (docs: README "Voice and video"; run for real in
# tests/browser/test_turn.py) -----------------------------------------------------------------


def turn_script() -> str:
    return COMPOSE["services"]["turn"]["command"][0]


def test_the_turn_relay_starts_only_with_its_profile():
    services = COMPOSE["services"]
    turn = services["turn"]
    assert turn["profiles"] == ["turn"]
    assert turn["image"].startswith("coturn/coturn:")
    others = [name for name, service in services.items() if name != "turn"]
    assert all("profiles" not in services[name] for name in others), others


def test_web_and_the_relay_share_one_secret_in_the_apps_credential_scheme():
    env = COMPOSE["x-app-environment"]
    web = COMPOSE["services"]["web1"]["environment"]
    turn = COMPOSE["services"]["turn"]["environment"]
    for name in ("STUN_URLS", "TURN_URLS", "TURN_SECRET", "TURN_TTL_SECONDS"):
        assert name in env and name in web, name
    # The same variable on both sides (never a default secret anyone could read here).
    assert env["TURN_SECRET"] == turn["TURN_SECRET"] == "${TURN_SECRET:-}"
    words = shlex.split(turn_script())
    # coturn's TURN REST API scheme, which interviews/calls.py implements.
    assert "--use-auth-secret" in words
    assert "--static-auth-secret=$$TURN_SECRET" in words
    assert "--no-cli" in words


def test_the_relay_cannot_reach_private_or_loopback_addresses():
    denied = set(re.findall(r"--denied-peer-ip=(\S+)", turn_script()))
    for block in (
        "10.0.0.0-10.255.255.255",
        "172.16.0.0-172.31.255.255",
        "192.168.0.0-192.168.255.255",
        "127.0.0.0-127.255.255.255",
        "169.254.0.0-169.254.255.255",
        "::1",
    ):
        assert block in denied, block


def test_every_turnserver_option_compose_uses_exists():
    help_text = subprocess.run(
        ["turnserver", "-h"], capture_output=True, text=True, timeout=20
    ).stdout
    flags = set(re.findall(r"(--[a-z-]+)", turn_script()))
    assert len(flags) > 10
    for flag in flags:
        assert flag in help_text, flag
