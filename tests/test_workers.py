"""The suite's worker processes (tests/workers.py) keep out of each other's Redis and database."""

import os

import pytest
from django.conf import settings
from django.db import connection

from tests.workers import REDIS_DATABASES, redis_url_for_worker, worker_index


def test_each_worker_moves_up_from_the_configured_redis_database():
    assert redis_url_for_worker("redis://127.0.0.1:6379/9", 0) == "redis://127.0.0.1:6379/9"
    assert redis_url_for_worker("redis://127.0.0.1:6379/9", 2) == "redis://127.0.0.1:6379/11"
    assert redis_url_for_worker("redis://:pw@cache:6380", 3) == "redis://:pw@cache:6380/3"


def test_a_worker_beyond_the_last_redis_database_is_refused_with_the_way_out():
    with pytest.raises(RuntimeError, match="Run fewer workers"):
        redis_url_for_worker("redis://127.0.0.1:6379/9", REDIS_DATABASES - 9)


def test_settings_were_read_after_the_worker_took_its_own_redis_database(request, db):
    assert os.environ["REDIS_URL"] == settings.REDIS_URL
    index = worker_index()
    if index is not None:  # under `make test`, whose workers load the plugin before Django
        assert request.config.pluginmanager.has_plugin("tests.workers")
        assert connection.settings_dict["NAME"].endswith(f"_gw{index}")
