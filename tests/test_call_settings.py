"""The call's settings (config/settings.py, "Voice and video"): STUN and TURN addresses must be
what their names say, and TURN without its shared secret stops the app with a message instead of
quietly handing out no relay. Each case runs in a fresh process (tests/test_settings.py)."""

import json

import pytest

from tests.test_settings import run_python

PROBE = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps([settings.STUN_URLS, settings.TURN_URLS, settings.TURN_TTL_SECONDS]))
"""


def test_nothing_set_means_no_ice_servers():
    result = run_python(PROBE, STUN_URLS="", TURN_URLS="", TURN_SECRET="")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [[], [], 21600]


def test_stun_and_turn_addresses_are_read_as_lists():
    result = run_python(
        PROBE,
        STUN_URLS="stun:turn.example.org:3478",
        TURN_URLS="turn:turn.example.org:3478, turns:turn.example.org:5349?transport=tcp",
        TURN_SECRET="s3cret",
        TURN_TTL_SECONDS="600",
    )
    assert result.returncode == 0, result.stderr
    stun, turn, ttl = json.loads(result.stdout.strip().splitlines()[-1])
    assert stun == ["stun:turn.example.org:3478"]
    assert turn == ["turn:turn.example.org:3478", "turns:turn.example.org:5349?transport=tcp"]
    assert ttl == 600


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TURN_URLS": "turn:turn.example.org:3478"}, "TURN_URLS needs TURN_SECRET"),
        ({"TURN_URLS": "https://turn.example.org", "TURN_SECRET": "x"}, "TURN_URLS holds"),
        ({"STUN_URLS": "turn.example.org:3478"}, "STUN_URLS holds"),
        ({"TURN_TTL_SECONDS": "10"}, "TURN_TTL_SECONDS"),
    ],
)
def test_bad_call_settings_fail_loudly(env, message):
    result = run_python(PROBE, **{"STUN_URLS": "", "TURN_URLS": "", "TURN_SECRET": "", **env})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr, result.stderr
