"""The wire format's own rules: every server message is built by its constructor, which refuses
what does not belong; the document for people follows from the same definitions."""

from pathlib import Path

import pytest

from interviews import protocol

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def test_a_server_message_refuses_a_missing_field():
    with pytest.raises(TypeError, match="revision"):
        protocol.DocSaved(slot="diagram")


def test_a_server_message_refuses_an_unknown_field():
    with pytest.raises(TypeError, match="html"):
        protocol.Pong(html="<b>")


@pytest.mark.parametrize("value", ["3", True, None, 3.0])
def test_a_server_message_refuses_a_mistyped_field(value):
    with pytest.raises(TypeError, match="revision"):
        protocol.DocSaved(slot="diagram", revision=value)


def test_optional_fields_leave_the_payload_when_empty():
    plain = protocol.envelope(protocol.Error(code="stale", message="m", in_response=None))
    assert plain == {
        "type": "error",
        "payload": {"code": "stale", "message": "m", "in_response": None},
    }
    stale = protocol.error("stale_revision", "m", "c1", slot="diagram", text="x", revision=2)
    assert stale["payload"]["revision"] == 2


def test_every_server_type_has_one_constructor_and_every_error_code_a_meaning():
    assert set(protocol.SERVER_MESSAGES) == {cls.TYPE for cls in protocol.SERVER_MESSAGES.values()}
    assert {code.value for code in protocol.ErrorCode} == set(protocol.ERROR_MEANINGS)


def test_the_protocol_document_is_generated_from_the_definitions():
    text = DOC.read_text(encoding="utf-8")
    assert protocol.reference_tables() in text, "run: python -m interviews.protocol"
