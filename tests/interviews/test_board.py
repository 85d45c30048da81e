"""The shared board on the server: each element a browser writes is checked (interviews/board.py)
as it enters the board document (interviews/crdt.py); through the room's socket, a hostile update
gets a coded error and changes nothing, text that looks like a script is kept as plain data, and
someone outside the interview can neither read nor write the board. The board's picture for the
report (interviews/boardimage.py) is a re-encoded PNG, from participants only."""

import base64
import io

import pytest
from asgiref.sync import sync_to_async
from PIL import Image
from pycrdt import Doc, Map

from interviews import board, crdt, services
from interviews.models import BoardImage
from tests.interviews.conftest import both, make_peer, open_socket, start

ROOTS = crdt.roots_for(crdt.BOARD, [])


def element(id_: str = "box1", **fields) -> dict:
    base = {
        "id": id_,
        "type": "rectangle",
        "x": 10,
        "y": 20,
        "width": 100,
        "height": 60,
        "angle": 0,
        "version": 3,
        "versionNonce": 123456789,
        "isDeleted": False,
        "groupIds": [],
        "boundElements": None,
        "link": None,
        "index": "a0",
    }
    return {**base, **fields}


class Drawer:
    """A browser's copy of the board document: the updates it would send, one per write."""

    def __init__(self, client_id: int | None = None) -> None:
        self.doc = Doc() if client_id is None else Doc(client_id=client_id)
        self.elements = self.doc.get(crdt.BOARD_ROOT, type=Map)
        self.updates: list[bytes] = []
        self.doc.observe(lambda event: self.updates.append(event.update))

    def put(self, key: str, value: object) -> str:
        self.elements[key] = value
        return base64.b64encode(self.updates[-1]).decode()

    def remove(self, key: str) -> str:
        del self.elements[key]
        return base64.b64encode(self.updates[-1]).decode()


# --- The element check ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("box1", "not an object", "must be an object"),
        ("other", element(), "under its own id"),
        ("bad id!", element("bad id!"), "under its own id"),
        ("box1", element(type="image"), "type 'image'"),
        ("box1", element(type="embeddable"), "type 'embeddable'"),
        ("box1", element(x=float("inf")), "finite number for x"),
        ("box1", element(x="12"), "finite number for x"),
        ("box1", element(version=True), "finite number for version"),
        ("box1", element(version=0), "whole number"),
        ("box1", element(y=1e9), "too far"),
        ("box1", element(isDeleted="no"), "deleted"),
        ("box1", element(type="text", text=None), "needs its text"),
        ("box1", element(type="text", text="x" * 10_001), "at most 10000"),
        ("box1", element(type="line", points=[[0, 0], [1]]), "pair of numbers"),
        ("box1", element(type="freedraw", points=[[0, 0]] * 20_001), "at most 20000 points"),
        ("box1", element(link="javascript:alert(1)"), "http or https"),
        ("box1", element(link="data:text/html,<script>"), "http or https"),
        ("box1", {**element(), **{f"f{i}": i for i in range(64)}}, "too many fields"),
    ],
)
def test_a_bad_element_is_refused_with_words(key, value, words):
    with pytest.raises(board.ElementError, match=words):
        board.check_element(key, value)


@pytest.mark.parametrize(
    "value",
    [
        element(),
        element(type="text", text="<script>alert(1)</script>", originalText="<img onerror=x>"),
        element(type="arrow", points=[[0, 0], [120.5, 40.25]], link="https://example.org/a"),
        element(type="freedraw", points=[[0, 0], [1, 1]], x=-5000.5, isDeleted=True),
    ],
)
def test_the_elements_excalidraw_draws_are_accepted(value):
    board.check_element(value["id"], value)


def test_the_board_document_refuses_a_bad_element_and_keeps_what_it_had():
    shared = crdt.SharedDoc.load(crdt.BOARD, ROOTS, [])
    drawer = Drawer(client_id=1)
    shared.apply(base64.b64decode(drawer.put("box1", element())))
    before = (shared.state_vector(), shared.board_elements())
    # Another browser's write to box1 wins over the first one's when its client id is higher (as
    # Yjs orders concurrent writes to a key): the one that would replace what everyone sees. A
    # concurrent write that loses stays out of sight in the document's history.
    bad = [("box2", element("box2", type="image")), ("box1", "junk")]
    for n, (key, value) in enumerate(bad):
        with pytest.raises(crdt.CrdtError) as refused:
            shared.apply(base64.b64decode(Drawer(client_id=2**53 - 1 - n).put(key, value)))
        assert refused.value.code == "bad_message"
        assert (shared.state_vector(), shared.board_elements()) == before
    with pytest.raises(crdt.CrdtError, match="marking it"):
        shared.apply(base64.b64decode(drawer.remove("box1")))
    assert [e["id"] for e in shared.board_elements()] == ["box1"]


# --- Through the room's socket --------------------------------------------------------------------


@pytest.fixture
def room(transactional_db, registry):
    from tests import factories

    factories.rubric()
    return make_peer(factories.case_study(slug="visual-search"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_both_draw_and_hostile_board_updates_get_a_coded_error_and_change_nothing(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        drawer = Drawer()
        good = drawer.put("box1", element())
        await candidate.send("doc.update", {"doc": "board", "update": good}, id="good")
        await candidate.acked("good")
        relayed = await interviewer.expect("doc.update")
        assert relayed["payload"] == {"doc": "board", "update": good}
        # The interviewer draws too; the candidate gets it.
        theirs = Drawer().put("note1", element("note1", type="text", text="<script>x()</script>"))
        await interviewer.send("doc.update", {"doc": "board", "update": theirs}, id="mine")
        await interviewer.acked("mine")
        assert (await candidate.expect("doc.update"))["payload"]["update"] == theirs

        huge = Drawer().put("big", element("big", type="text", text="x" * 60_000))
        hostile = [
            (huge, "too_large"),
            ("%%%", "bad_message"),
            (base64.b64encode(b"\x01\x02\x03 not an update").decode(), "bad_message"),
            (Drawer().put("pic", element("pic", type="image")), "bad_message"),
            (Drawer().put("box2", element("box2", link="javascript:alert(1)")), "bad_message"),
            (Drawer().put("box3", {"id": "box3"}), "bad_message"),
            (Drawer().put("box4", [1, 2, 3]), "bad_message"),
            (drawer.remove("box1"), "bad_message"),
        ]
        for index, (update, code) in enumerate(hostile):
            await candidate.send("doc.update", {"doc": "board", "update": update}, id=f"bad{index}")
            error = await candidate.error()
            assert error["code"] == code, (index, error)
            await candidate.still_usable()

        await candidate.send("doc.sync", {"doc": "board", "sv": ""}, id="sync")
        synced = (await candidate.expect("doc.sync"))["payload"]
        check = Doc()
        check.apply_update(base64.b64decode(synced["update"]))
        stored = {k: dict(v) for k, v in check.get(crdt.BOARD_ROOT, type=Map).items()}
        assert sorted(stored) == ["box1", "note1"]
        assert stored["note1"]["text"] == "<script>x()</script>"  # plain data, kept as written
        await interviewer.drain()
        updates = [m["payload"]["update"] for m in interviewer.seen if m["type"] == "doc.update"]
        assert updates == [good]  # none of the hostile ones reached the peer


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_someone_outside_the_interview_can_neither_read_nor_write_the_board(room):
    async with both(room) as (interviewer, candidate):
        await start(interviewer, candidate)
        good = Drawer().put("box1", element())
        await candidate.send("doc.update", {"doc": "board", "update": good}, id="good")
        await candidate.acked("good")
        socket, closed = await open_socket(room.outsider, room.interview.pk)
        assert socket is None and closed == 4404  # no snapshot, so no board, and no way to send
        # A participant of another interview gets nothing of this one either.
        other = await sync_to_async(make_peer)(room.interview.case_study)
        socket, closed = await open_socket(other.candidate, room.interview.pk)
        assert socket is None and closed == 4404
        await candidate.send("doc.sync", {"doc": "board", "sv": ""}, id="sync")
        synced = (await candidate.expect("doc.sync"))["payload"]
        check = Doc()
        check.apply_update(base64.b64decode(synced["update"]))
        assert list(check.get(crdt.BOARD_ROOT, type=Map).keys()) == ["box1"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_board_is_read_only_before_the_start(room):
    async with both(room) as (_interviewer, candidate):
        update = Drawer().put("box1", element())
        await candidate.send("doc.update", {"doc": "board", "update": update}, id="early")
        assert (await candidate.error())["code"] == "invalid_state"


# --- The board's picture ------------------------------------------------------------------------


def png(width: int = 320, height: int = 200) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (250, 250, 250)).save(out, format="PNG")
    return out.getvalue()


def post_image(client, interview, data: bytes, name: str = "board.png"):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(f"/interviews/{interview.pk}/board.png", {"image": upload})


@pytest.fixture
def live_peer(db):
    from tests import factories

    factories.rubric()
    peer = make_peer(factories.case_study(slug="visual-search"))
    services.interview_start(actor=peer.actor("interviewer"))
    peer.refresh()
    return peer


def test_a_participant_sends_the_boards_picture_and_it_is_re_encoded(client, live_peer):
    client.force_login(live_peer.candidate)
    original = png() + b"trailing bytes after IEND"
    response = post_image(client, live_peer.interview, original)
    assert response.status_code == 200, response.content
    assert response.json() == {"width": 320, "height": 200}
    stored = BoardImage.objects.get(interview=live_peer.interview)
    assert stored.png.startswith(b"\x89PNG") and stored.png != original
    assert b"trailing bytes" not in stored.png
    assert Image.open(io.BytesIO(stored.png)).size == (320, 200)
    # The interviewer's later picture replaces it.
    client.force_login(live_peer.interviewer)
    assert post_image(client, live_peer.interview, png(400, 300)).status_code == 200
    assert BoardImage.objects.get(interview=live_peer.interview).width == 400


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"GIF89a not a png", "bad_image"),
        (b"<svg onload=alert(1)></svg>", "bad_image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "bad_image"),
        (png(5000, 10), "too_large"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * (4 * 1024 * 1024), "too_large"),
    ],
)
def test_anything_but_a_sensible_png_is_refused_with_a_code(client, live_peer, data, code):
    client.force_login(live_peer.candidate)
    response = post_image(client, live_peer.interview, data)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert not BoardImage.objects.filter(interview=live_peer.interview).exists()


def test_only_participants_send_a_picture_and_only_while_it_can_change(client, live_peer):
    client.force_login(live_peer.outsider)
    assert post_image(client, live_peer.interview, png()).status_code == 404
    client.force_login(live_peer.candidate)
    assert client.get(f"/interviews/{live_peer.interview.pk}/board.png").status_code == 405
    live_peer.interview.status = "completed"
    live_peer.interview.save(update_fields=["status"])
    response = post_image(client, live_peer.interview, png())
    assert response.status_code == 409 and response.json()["code"] == "invalid_state"
    assert not BoardImage.objects.exists()


def test_the_picture_needs_the_csrf_token(live_peer):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(live_peer.candidate)
    assert post_image(client, live_peer.interview, png()).status_code == 403
