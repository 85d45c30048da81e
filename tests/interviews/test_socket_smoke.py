"""The socket stack end to end: the real ASGI application, session auth, the origin check and
the Redis channel layer."""

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def session_cookie_for(user) -> bytes:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


async def connect(headers):
    communicator = WebsocketCommunicator(application, "/ws/ping/", headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def test_an_authenticated_socket_connects_and_answers():
    from asgiref.sync import sync_to_async

    user = await sync_to_async(factories.user)()
    cookie = await sync_to_async(session_cookie_for)(user)
    communicator, connected, _ = await connect(
        [(b"origin", b"http://localhost"), (b"cookie", cookie)]
    )
    assert connected
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.disconnect()


async def test_an_anonymous_socket_is_refused():
    _communicator, connected, code = await connect([(b"origin", b"http://localhost")])
    assert not connected
    assert code == 4401


async def test_a_foreign_origin_is_refused():
    from asgiref.sync import sync_to_async

    user = await sync_to_async(factories.user)()
    cookie = await sync_to_async(session_cookie_for)(user)
    _communicator, connected, _ = await connect(
        [(b"origin", b"https://evil.example.net"), (b"cookie", cookie)]
    )
    assert not connected


async def test_the_channel_layer_is_redis_and_carries_group_messages():
    layer = get_channel_layer()
    assert type(layer).__module__.startswith("channels_redis")
    channel = await layer.new_channel()
    await layer.group_add("smoke", channel)
    await layer.group_send("smoke", {"type": "smoke.message", "n": 7})
    assert (await layer.receive(channel))["n"] == 7
    await layer.group_discard("smoke", channel)
