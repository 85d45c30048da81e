"""The wire format's own rules: every server message is built by its constructor, which refuses
what does not belong; the document for people follows from the same definitions."""

import json
from pathlib import Path

import pytest

from interviews import protocol

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def test_a_server_message_refuses_a_missing_field():
    with pytest.raises(TypeError, match="update"):
        protocol.DocUpdate(doc="diagram")


def test_a_server_message_refuses_an_unknown_field():
    with pytest.raises(TypeError, match="html"):
        protocol.Pong(html="<b>")


@pytest.mark.parametrize("value", [3, True, None, b"bytes"])
def test_a_server_message_refuses_a_mistyped_field(value):
    with pytest.raises(TypeError, match="update"):
        protocol.DocUpdate(doc="diagram", update=value)


@pytest.mark.parametrize("data", ["an offer as text", 3, ["a", "list"]])
def test_a_field_of_several_types_refuses_another_with_a_coded_error(data):
    # call.signal's data is an object or null; anything else is the sender's mistake, said
    # plainly (it used to raise AttributeError while wording the message).
    raw = {"type": "call.signal", "id": "s1", "payload": {"kind": "offer", "data": data}}
    with pytest.raises(protocol.ProtocolError) as refused:
        protocol.parse(json.dumps(raw))
    assert refused.value.code == protocol.ErrorCode.BAD_MESSAGE
    assert refused.value.in_response == "s1"
    assert "'data' must be dict" in refused.value.message


def test_optional_fields_leave_the_payload_when_empty():
    no_panel = protocol.Snapshot(
        interview={},
        me={},
        steps=[],
        clock={},
        phase="live",
        label="Live",
        actions=[],
        why_not={},
        presence=[],
        docs=[],
        chat=[],
        deliveries=[],
        server_now="now",
        ice_servers=[],
    ).payload()
    assert "panel" not in no_panel and "scores" not in no_panel and "references" not in no_panel
    error = protocol.error("stale", "m", "c1")
    assert error == {
        "type": "error",
        "payload": {"code": "stale", "message": "m", "in_response": "c1"},
    }


def test_every_server_type_has_one_constructor_and_every_error_code_a_meaning():
    assert set(protocol.SERVER_MESSAGES) == {cls.TYPE for cls in protocol.SERVER_MESSAGES.values()}
    assert {code.value for code in protocol.ErrorCode} == set(protocol.ERROR_MEANINGS)


def test_the_protocol_document_is_generated_from_the_definitions():
    text = DOC.read_text(encoding="utf-8")
    assert protocol.reference_tables() in text, "run: python -m interviews.protocol"
