"""Login limits that hold behind a proxy, tried through the real server: uvicorn with the flags
and the FORWARDED_ALLOW_IPS default of docker-compose.yml, Django's middleware, allauth.

A client cannot pick its address with a rotating X-Forwarded-For: the header counts only when
the connection comes from a trusted proxy, and then uvicorn takes the address that proxy saw.
Failed logins lock an (address, account) pair, so a stranger cannot lock someone else out."""

import re
import shlex
import uuid

import pytest
import yaml

from accounts.adapter import AccountAdapter, client_address
from tests import factories
from tests.conftest import ROOT, app_server
from tests.web import Browser

pytestmark = pytest.mark.django_db(transaction=True)

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
PASSWORD = "right-password-for-throttles"
REFUSED = "Too many failed login attempts"


def compose_default(name: str) -> str:
    """The value docker-compose.yml gives ``name`` when nothing is set (nested defaults too)."""
    raw = str(COMPOSE["x-app-environment"][name])
    while (match := re.fullmatch(r"\$\{\w+:-(.*)\}", raw)) is not None:
        raw = match.group(1)
    return raw


def compose_uvicorn_flags() -> tuple[str, ...]:
    """A web process's uvicorn flags that matter here, as compose passes them."""
    words = shlex.split(COMPOSE["services"]["web1"]["command"])
    words = shlex.split(words[-1]) if words[:2] == ["sh", "-c"] else words
    flags = words[words.index("config.asgi:application") + 1 :]
    kept = []
    for index, word in enumerate(flags):
        if word == "--proxy-headers":
            kept.append(word)
        if word == "--forwarded-allow-ips":
            kept += [word, flags[index + 1]]
    return tuple(kept)


def server(name: str, forwarded_allow_ips: str):
    return app_server(
        name,
        env={
            "FORWARDED_ALLOW_IPS": forwarded_allow_ips,
            # Counters in Redis as in production, under a prefix of this test's own.
            "CACHE_PREFIX": f"throttle-{uuid.uuid4().hex[:8]}",
        },
        args=compose_uvicorn_flags(),
    )


@pytest.fixture
def real_hasher(settings):
    """The server process checks passwords with the default hasher, not the suite's fast one."""
    from django.conf import global_settings

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS


def xff(*addresses: str) -> dict[str, str]:
    return {"X-Forwarded-For": ", ".join(addresses)}


def test_compose_and_the_image_trust_a_network_not_everyone():
    assert "--proxy-headers" in compose_uvicorn_flags()
    assert "--forwarded-allow-ips" not in compose_uvicorn_flags()  # the environment's, below
    # The web processes believe the proxy service alone (its fixed address in the network).
    assert compose_default("FORWARDED_ALLOW_IPS") == "172.30.57.10"
    for web in ("web1", "web2"):
        assert (
            COMPOSE["services"][web]["environment"]["FORWARDED_ALLOW_IPS"]
            == (COMPOSE["services"]["proxy"]["networks"]["default"]["ipv4_address"])
        )
    subnet = COMPOSE["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert re.fullmatch(r"\$\{SEVENSTEPS_SUBNET:-172\.30\.57\.0/24\}", subnet)
    command = (ROOT / "Dockerfile").read_text().split("\nCMD")[-1]
    assert "forwarded-allow-ips" not in command  # uvicorn's default: loopback only


def test_a_rotating_header_from_a_client_does_not_reset_the_limit():
    """The client talks to uvicorn directly (127.0.0.1 is not in the compose default), so its
    X-Forwarded-For is ignored: eleven failed logins on eleven accounts from "eleven
    addresses" are eleven from one, and the per-address limit (10 a minute) stops it."""
    accounts = [factories.user(password=PASSWORD).email for _ in range(11)]
    with server("rotating-client", compose_default("FORWARDED_ALLOW_IPS")) as base:
        client = Browser(base)
        answers = [
            client.log_in(email, "wrong-password", xff(f"203.0.113.{n}"))
            for n, email in enumerate(accounts)
        ]
        assert [REFUSED in a.text for a in answers] == [False] * 10 + [True]
        # Even the right password, from "yet another address", waits out the minute.
        right = client.log_in(accounts[0], PASSWORD, xff("198.51.100.99"))
        assert right.status == 200 and REFUSED in right.text


def test_behind_a_trusted_proxy_the_address_it_saw_counts_not_what_the_client_claims(
    real_hasher,
):
    """Here the test plays the proxy (127.0.0.1 trusted): it appends the address it saw to what
    the client sent. uvicorn takes the rightmost address that is not a proxy, so the client's
    rotating entries change nothing."""
    accounts = [factories.user(password=PASSWORD).email]
    accounts += [factories.user(email=f"nobody{n}@example.org").email for n in range(10)]
    with server("rotating-behind-proxy", "127.0.0.1") as base:
        client = Browser(base)
        answers = [
            client.log_in(email, "wrong-password", xff(f"10.9.8.{n}", "192.0.2.50"))
            for n, email in enumerate(accounts)
        ]
        assert [REFUSED in a.text for a in answers] == [False] * 10 + [True]
        # Another client behind the same proxy is not affected.
        other = Browser(base).log_in(accounts[0], PASSWORD, xff("192.0.2.51"))
        assert other.status == 302 and other.location.endswith("/dashboard/")


def test_a_stranger_cannot_lock_someone_else_out(real_hasher):
    victim = factories.user(password=PASSWORD).email
    with server("lockout", "127.0.0.1") as base:
        for _round in range(2):  # and not again either
            stranger = Browser(base)
            tries = [stranger.log_in(victim, "guess", xff("203.0.113.66")) for _ in range(6)]
            assert REFUSED in tries[-1].text  # five wrong: that pair is locked…
            locked = stranger.log_in(victim, PASSWORD, xff("203.0.113.66"))
            assert REFUSED in locked.text  # …even with the right password, for the stranger
            owner = Browser(base).log_in(victim, PASSWORD, xff("198.51.100.7"))
            assert owner.status == 302, owner.text[:300]  # the owner, elsewhere, logs in


def test_the_failed_login_key_joins_address_and_account(rf):
    request = rf.post("/accounts/login/", REMOTE_ADDR="2001:db8:1:2:3:4:5:6")
    key = AccountAdapter()._get_login_attempts_cache_key(request, email="Someone@Example.org")
    assert key.startswith("2001:db8:1:2::")
    assert key.endswith("someone@example.org")
    assert client_address("203.0.113.9") == "203.0.113.9"
