"""Ordinary requests with odd input get a refusal, never a server error: a NUL byte in a path
or a query, renewing the invite of a solo drill, a socket opened on a path nothing serves."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client, RequestFactory
from django.urls import reverse

from config.asgi import application
from config.middleware import RefuseNulBytesMiddleware
from interviews import services
from tests import factories

UNKNOWN_PATH = 4404  # interviews/routing.py: accepted, then closed with a code the client reads


@pytest.fixture
def logged_in(db, client) -> Client:
    client.raise_request_exception = False  # a 500 must show as a 500, not as an exception
    client.force_login(factories.user())
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/join/ab%00cd/",  # a <str:> route: the token reaches PostgreSQL
        "/library/a%00b/",
        "/interviews/%00/",
        "/no-such-page%00/",
        "/accounts/login/%00",
    ],
)
def test_a_nul_byte_in_the_path_is_a_bad_request(logged_in, url):
    assert logged_in.get(url).status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/library/?q=a%00b",  # the search box: a text parameter to PostgreSQL
        "/library/?domain=%00",
        "/dashboard/?x=%00",
        "/drills/new/?case=%00",
        "/accounts/login/?next=/%00",
    ],
)
def test_a_nul_byte_in_the_query_is_a_bad_request(logged_in, url):
    assert logged_in.get(url).status_code == 400


def test_a_nul_byte_posted_to_a_form_is_a_form_error_not_a_server_error(logged_in):
    logged_in.logout()
    response = logged_in.post(
        "/accounts/login/", {"login": "a\x00b@example.org", "password": "x\x00y"}
    )
    assert response.status_code in (200, 400)


def test_the_middleware_alone_lets_ordinary_requests_through():
    seen = []
    middleware = RefuseNulBytesMiddleware(lambda request: seen.append(request) or "ok")
    factory = RequestFactory()
    assert middleware(factory.get("/library/", {"q": "ranking + recall"})) == "ok"
    assert middleware(factory.get("/library/%C3%A9/")) == "ok"
    assert middleware(factory.get("/library/", {"q": "a\x00"})).status_code == 400
    assert len(seen) == 2


def test_renewing_the_invite_of_a_solo_drill_says_why(logged_in, db):
    factories.rubric()
    user = factories.user()
    drill = services.interview_create(
        user=user,
        case_study=factories.case_study(),
        role="candidate",
        target_level="mid",
        kind="solo",
    )
    logged_in.force_login(user)
    response = logged_in.post(reverse("invite_renew", args=[drill.pk]), follow=True)
    assert response.status_code == 200
    assert "A drill has no invite" in response.content.decode()


# --- Sockets on paths nothing serves -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize(
    "path", ["/ws/", "/ws/nothing/", "/ws/interviews/", "/elsewhere/", "/ws/interviews/x/y/z/"]
)
async def test_a_socket_on_an_unrouted_path_is_refused_not_an_error(path):
    communicator = WebsocketCommunicator(
        application, path, headers=[(b"origin", b"http://localhost")]
    )
    connected, _ = await communicator.connect()
    assert connected  # accepted, so that the close code below reaches the client
    closed = await communicator.receive_output(timeout=3)
    assert (closed["type"], closed["code"]) == ("websocket.close", UNKNOWN_PATH)
    await communicator.wait()  # the application finished without raising


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_routed_path_still_reaches_the_room():
    user = await sync_to_async(factories.user)()
    client = Client()
    await sync_to_async(client.force_login)(user)
    communicator = WebsocketCommunicator(
        application,
        "/ws/interviews/00000000-0000-0000-0000-000000000000/",
    )
    await communicator.connect()
    closed = await communicator.receive_output(timeout=3)
    assert closed["code"] == 4401  # the room's own refusal (no session cookie), not the router's
