from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.smpp import pdu as p
from smsgate.smpp.errors import FramingError, LocalProtocolError, PduDecodeError
from smsgate.smpp.status import CommandId, CommandStatus
from smsgate.smpp.tlv import Tag, Tlv

from .strategies import FIELDS, any_pdu, pdus_of

VECTORS = json.loads((Path(__file__).parent / "vectors" / "pdus.json").read_text())


def _field_value(value: Any) -> Any:
    if isinstance(value, dict):
        return bytes.fromhex(value["hex"])
    return value


def _expected(vector: dict[str, Any]) -> p.Pdu:
    cls = getattr(p, vector["class"])
    fields = {k: _field_value(v) for k, v in vector["fields"].items()}
    if "tlvs" in fields:
        fields["tlvs"] = tuple(Tlv(tag, bytes.fromhex(value)) for tag, value in fields["tlvs"])
    pdu: p.Pdu = cls(**fields)
    return pdu


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["name"])
def test_spec_vector_decodes_and_reencodes(vector: dict[str, Any]) -> None:
    data = bytes.fromhex("".join(vector["hex"]))
    pdu = p.decode(data)
    assert pdu == _expected(vector)
    assert p.encode(pdu) == data


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["name"])
def test_invalid_vector_raises_decode_error_with_status(vector: dict[str, Any]) -> None:
    data = bytes.fromhex("".join(vector["hex"]))
    with pytest.raises(PduDecodeError) as info:
        p.decode(data)
    error = info.value
    assert error.status == CommandStatus[vector["status"]]
    assert isinstance(error, FramingError) is vector["framing"]
    if not vector["framing"]:
        assert error.sequence_number == vector["sequence_number"]
        assert error.command_id == vector["command_id"]


def test_enquire_link_bytes_from_the_brief() -> None:
    assert p.encode(p.EnquireLink(sequence_number=1)) == bytes.fromhex(
        "00000010000000150000000000000001"
    )


def test_registry_covers_every_class_once() -> None:
    assert set(p.PDU_CLASSES.values()) == set(FIELDS)
    for command_id, cls in p.PDU_CLASSES.items():
        assert cls.command_id == command_id
    assert p.RESPONSE_CLASSES[CommandId.submit_sm] is p.SubmitSmResp
    assert CommandId.outbind not in p.RESPONSE_CLASSES
    assert CommandId.alert_notification not in p.RESPONSE_CLASSES


CLASSES = sorted(FIELDS, key=lambda c: c.command_id)


@pytest.mark.parametrize("cls", CLASSES, ids=[c.__name__ for c in CLASSES])
@given(data=st.data())
def test_round_trip_every_pdu_type(cls: type[p.Pdu], data: st.DataObject) -> None:
    pdu = data.draw(pdus_of(cls))
    encoded = p.encode(pdu)
    assert struct.unpack_from(">I", encoded)[0] == len(encoded)
    assert p.decode(encoded) == pdu


def decode_or_error(data: bytes) -> p.Pdu | PduDecodeError:
    """decode, with our error returned instead of raised; anything else propagates."""
    try:
        return p.decode(data)
    except PduDecodeError as exc:
        return exc


@given(st.binary(max_size=400))
def test_arbitrary_bytes_decode_or_raise_our_error(data: bytes) -> None:
    assert isinstance(decode_or_error(data), p.Pdu | PduDecodeError)


@given(
    command_id=st.sampled_from(sorted(p.PDU_CLASSES)),
    status=st.sampled_from([0, 8]),
    body=st.binary(max_size=300),
)
def test_valid_header_with_arbitrary_body_decodes_or_raises_our_error(
    command_id: int, status: int, body: bytes
) -> None:
    data = struct.pack(">IIII", 16 + len(body), command_id, status, 7) + body
    result = decode_or_error(data)
    assert result.command_id == command_id
    if isinstance(result, PduDecodeError):
        assert result.sequence_number == 7
    else:
        assert result.sequence_number == 7


@given(pdu=any_pdu, cut=st.integers(0, 400), junk=st.binary(min_size=1, max_size=8))
def test_mutated_pdus_decode_or_raise_our_error(pdu: p.Pdu, cut: int, junk: bytes) -> None:
    encoded = p.encode(pdu)
    body = encoded[16:]
    cut = min(cut, len(body))
    mutated_body = body[:cut] + junk + body[cut + len(junk) :]
    for new_body in (body[:cut], mutated_body):
        data = struct.pack(">I", 16 + len(new_body)) + encoded[4:16] + new_body
        assert not isinstance(decode_or_error(data), FramingError)


def test_error_response_with_defaults_is_sent_without_body() -> None:
    resp = p.SubmitSmResp(sequence_number=3, command_status=CommandStatus.ESME_RTHROTTLED)
    assert len(p.encode(resp)) == 16
    with_id = p.SubmitSmResp(sequence_number=3, command_status=8, message_id="x")
    assert len(p.encode(with_id)) == 18


def test_ok_response_without_body_decodes_to_defaults() -> None:
    data = bytes.fromhex("00000010800000040000000000000009")
    assert p.decode(data) == p.SubmitSmResp(sequence_number=9)


def test_password_is_not_in_repr() -> None:
    assert "hunter2" not in repr(p.BindTransceiver(system_id="gw", password="hunter2"))
    assert "hunter2" not in repr(p.Outbind(system_id="gw", password="hunter2"))


def test_c_octet_strings_are_latin1() -> None:
    pdu = p.SubmitSmResp(sequence_number=1, message_id="caf\xe9")
    assert p.encode(pdu)[16:] == b"caf\xe9\x00"
    assert p.decode(p.encode(pdu)) == pdu


@pytest.mark.parametrize(
    ("pdu", "status"),
    [
        (p.SubmitSm(source_addr="1" * 21), CommandStatus.ESME_RINVSRCADR),
        (p.SubmitSm(destination_addr="1" * 21), CommandStatus.ESME_RINVDSTADR),
        (p.SubmitSm(service_type="ABCDEF"), CommandStatus.ESME_RINVSERTYP),
        (p.SubmitSm(schedule_delivery_time="x" * 17), CommandStatus.ESME_RINVSCHED),
        (p.SubmitSm(validity_period="x" * 17), CommandStatus.ESME_RINVEXPIRY),
        (p.SubmitSm(short_message=b"x" * 255), CommandStatus.ESME_RINVMSGLEN),
        (p.SubmitSm(source_addr="a\x00b"), CommandStatus.ESME_RINVSRCADR),
        (p.SubmitSm(source_addr="\u20ac"), CommandStatus.ESME_RINVSRCADR),
        (p.BindTransmitter(system_id="s" * 16), CommandStatus.ESME_RINVSYSID),
        (p.BindTransmitter(password="p" * 9), CommandStatus.ESME_RINVPASWD),
        (p.BindTransmitter(system_type="t" * 13), CommandStatus.ESME_RINVSYSTYP),
        (p.SubmitSmResp(message_id="m" * 65), CommandStatus.ESME_RINVMSGID),
        (p.DataSm(source_addr="1" * 65), CommandStatus.ESME_RINVSRCADR),
        (
            p.SubmitSm(tlvs=(Tlv(Tag.sar_msg_ref_num, b"\x01"),)),
            CommandStatus.ESME_RINVPARLEN,
        ),
    ],
)
def test_encode_refuses_values_beyond_the_spec(pdu: p.Pdu, status: CommandStatus) -> None:
    with pytest.raises(LocalProtocolError) as info:
        p.encode(pdu)
    assert info.value.status == status


@pytest.mark.parametrize(
    ("pdu", "field"),
    [
        (p.SubmitSm(esm_class=256), "SubmitSm.esm_class"),
        (p.SubmitSm(data_coding=-1), "SubmitSm.data_coding"),
        (p.SubmitSm(short_message="text"), "SubmitSm.short_message"),  # type: ignore[arg-type]
        (p.SubmitSm(source_addr=5), "SubmitSm.source_addr"),  # type: ignore[arg-type]
        (p.EnquireLink(sequence_number=2**32), "EnquireLink.sequence_number"),
        (p.DataSm(tlvs=(("x", b""),)), "TLV tag"),  # type: ignore[arg-type]
    ],
)
def test_encode_names_the_bad_field(pdu: p.Pdu, field: str) -> None:
    with pytest.raises(LocalProtocolError, match=field):
        p.encode(pdu)


def test_bodiless_request_with_body_is_rejected() -> None:
    with pytest.raises(PduDecodeError) as info:
        p.decode(bytes.fromhex("000000120000000600000000000000010000"))
    assert info.value.status == CommandStatus.ESME_RINVCMDLEN
