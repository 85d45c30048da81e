"""The socket stack end to end: the real ASGI application, session auth, the origin check and
the Redis channel layer (the room's own tests go through every message type)."""

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application
from interviews import services
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def session_cookie_for(user) -> bytes:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


def a_drill():
    factories.rubric()
    user = factories.user()
    drill = services.interview_create(
        user=user,
        case_study=factories.case_study(),
        role="candidate",
        target_level="mid",
        kind="solo",
    )
    return user, drill


async def connect(path, headers):
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def test_an_authenticated_socket_connects_and_answers():
    user, drill = await sync_to_async(a_drill)()
    cookie = await sync_to_async(session_cookie_for)(user)
    communicator, connected, _ = await connect(
        f"/ws/interviews/{drill.pk}/", [(b"origin", b"http://localhost"), (b"cookie", cookie)]
    )
    assert connected
    assert (await communicator.receive_json_from())["type"] == "snapshot"
    await communicator.send_json_to({"type": "ping", "payload": {}})
    assert (await communicator.receive_json_from())["type"] == "pong"
    await communicator.disconnect()


async def test_an_anonymous_socket_is_refused():
    _, drill = await sync_to_async(a_drill)()
    _, connected, code = await connect(
        f"/ws/interviews/{drill.pk}/", [(b"origin", b"http://localhost")]
    )
    assert not connected
    assert code == 4401


async def test_a_foreign_origin_is_refused():
    user, drill = await sync_to_async(a_drill)()
    cookie = await sync_to_async(session_cookie_for)(user)
    _, connected, _ = await connect(
        f"/ws/interviews/{drill.pk}/",
        [(b"origin", b"https://evil.example.net"), (b"cookie", cookie)],
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
