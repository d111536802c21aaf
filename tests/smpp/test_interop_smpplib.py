"""Interop with smpplib, an independent pure-Python SMPP implementation.

smpplib builds PDUs with `make_pdu(...).generate()` and parses with `parse_pdu`; neither
needs a socket. Bytes go both ways: smpplib -> our decode, our encode -> smpplib.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from smsgate.smpp import pdu as p
from smsgate.smpp.receipt import DeliveryReceipt, MessageState, receipt_from_pdu, receipt_to_pdu
from smsgate.smpp.status import CommandStatus
from smsgate.smpp.tlv import Tag, Tlv, get_bytes, get_cstring, get_int

smpp = pytest.importorskip("smpplib.smpp")


class _Client:
    """The slice of smpplib's client that its PDU classes use: a sequence counter."""

    sequence = 0

    def next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence


def smpplib_bytes(command: str, sequence: int, **fields: Any) -> bytes:
    pdu = smpp.make_pdu(command, client=_Client(), **fields)
    pdu.sequence = sequence  # make_pdu ignores sequence= when the client has one
    data: bytes = pdu.generate()
    return data


def smpplib_parse(data: bytes) -> Any:
    return smpp.parse_pdu(data, client=_Client())


def test_smpplib_submit_sm_decodes() -> None:
    data = smpplib_bytes(
        "submit_sm",
        5,
        source_addr_ton=5,
        source_addr="smsgate",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr="447700900123",
        esm_class=0x40,
        registered_delivery=1,
        data_coding=8,
        short_message=b"\x05\x00\x03\x2a\x02\x01\x00H\x00i",
        sar_msg_ref_num=42,
        sar_total_segments=2,
        sar_segment_seqnum=1,
    )
    pdu = p.decode(data)
    assert pdu == p.SubmitSm(
        sequence_number=5,
        source_addr_ton=5,
        source_addr="smsgate",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr="447700900123",
        esm_class=0x40,
        registered_delivery=1,
        data_coding=8,
        short_message=b"\x05\x00\x03\x2a\x02\x01\x00H\x00i",
        tlvs=(
            Tlv.from_int(Tag.sar_msg_ref_num, 42),
            Tlv.from_int(Tag.sar_total_segments, 2),
            Tlv.from_int(Tag.sar_segment_seqnum, 1),
        ),
    )
    assert p.encode(pdu) == data


def test_smpplib_bind_transceiver_decodes() -> None:
    data = smpplib_bytes(
        "bind_transceiver", 1, system_id="gw", password="secret", system_type="SMPP"
    )
    assert p.decode(data) == p.BindTransceiver(
        sequence_number=1, system_id="gw", password="secret", system_type="SMPP"
    )


def test_smpplib_receipt_decodes() -> None:
    text = b"id:abc123 sub:001 dlvrd:001 submit date:2401021530 done date:2401021531 stat:DELIVRD"
    data = smpplib_bytes(
        "deliver_sm",
        7,
        source_addr="447700900123",
        destination_addr="smsgate",
        esm_class=0x04,
        short_message=text,
        receipted_message_id="abc123",
        message_state=2,
    )
    pdu = p.decode(data)
    assert isinstance(pdu, p.DeliverSm)
    receipt = receipt_from_pdu(pdu)
    assert receipt is not None
    assert receipt.message_id == "abc123"
    assert receipt.state is MessageState.DELIVERED


def test_smpplib_data_sm_with_payload_decodes() -> None:
    data = smpplib_bytes(
        "data_sm",
        3,
        source_addr="1555",
        destination_addr="1666",
        message_payload=b"x" * 300,
    )
    pdu = p.decode(data)
    assert isinstance(pdu, p.DataSm)
    assert get_bytes(pdu.tlvs, Tag.message_payload) == b"x" * 300


@pytest.mark.parametrize(
    ("command", "fields", "expected"),
    [
        (
            "submit_sm_resp",
            {"message_id": "m-1"},
            p.SubmitSmResp(sequence_number=4, message_id="m-1"),
        ),
        ("deliver_sm_resp", {}, p.DeliverSmResp(sequence_number=4)),
        ("enquire_link", {}, p.EnquireLink(sequence_number=4)),
        ("enquire_link_resp", {}, p.EnquireLinkResp(sequence_number=4)),
        ("unbind", {}, p.Unbind(sequence_number=4)),
        ("unbind_resp", {}, p.UnbindResp(sequence_number=4)),
        (
            "generic_nack",
            {"status": CommandStatus.ESME_RINVCMDID},
            p.GenericNack(sequence_number=4, command_status=CommandStatus.ESME_RINVCMDID),
        ),
        (
            "bind_transmitter_resp",
            {"system_id": "SMSC"},
            p.BindTransmitterResp(sequence_number=4, system_id="SMSC"),
        ),
        (
            "query_sm",
            {"message_id": "m-1", "source_addr": "gw"},
            p.QuerySm(sequence_number=4, message_id="m-1", source_addr="gw"),
        ),
    ],
)
def test_smpplib_small_pdus_decode(command: str, fields: dict[str, Any], expected: p.Pdu) -> None:
    assert p.decode(smpplib_bytes(command, 4, **fields)) == expected


def test_our_submit_sm_parses_in_smpplib() -> None:
    ours = p.SubmitSm(
        sequence_number=9,
        source_addr_ton=5,
        source_addr="smsgate",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr="447700900123",
        registered_delivery=1,
        data_coding=8,
        short_message="héllo".encode("utf-16-be"),
        tlvs=(Tlv.from_int(Tag.user_message_reference, 77),),
    )
    theirs = smpplib_parse(p.encode(ours))
    assert theirs.command == "submit_sm"
    assert theirs.sequence == 9
    assert theirs.source_addr == b"smsgate"
    assert theirs.destination_addr == b"447700900123"
    assert (theirs.source_addr_ton, theirs.dest_addr_ton, theirs.dest_addr_npi) == (5, 1, 1)
    assert theirs.registered_delivery == 1
    assert theirs.data_coding == 8
    assert theirs.short_message == "héllo".encode("utf-16-be")
    assert theirs.user_message_reference == 77


def test_our_receipt_parses_in_smpplib() -> None:
    receipt = DeliveryReceipt("abc123", submitted=1, delivered=1, stat="DELIVRD", err="000")
    ours = receipt_to_pdu(receipt, source_addr="447700900123", destination_addr="smsgate")
    data = p.encode(dataclasses.replace(ours, sequence_number=12))
    theirs = smpplib_parse(data)
    assert theirs.command == "deliver_sm"
    assert theirs.esm_class == 0x04
    assert theirs.receipted_message_id == b"abc123"
    assert theirs.message_state == 2
    assert theirs.short_message.startswith(b"id:abc123 ")


@pytest.mark.parametrize(
    ("ours", "command", "attrs"),
    [
        (
            p.SubmitSmResp(sequence_number=3, message_id="m-9"),
            "submit_sm_resp",
            {"message_id": b"m-9"},
        ),
        (
            p.SubmitSmResp(sequence_number=3, command_status=CommandStatus.ESME_RTHROTTLED),
            "submit_sm_resp",
            {"status": CommandStatus.ESME_RTHROTTLED},
        ),
        (
            p.BindTransceiver(sequence_number=3, system_id="gw", password="pw"),
            "bind_transceiver",
            {"system_id": b"gw", "password": b"pw", "interface_version": 0x34},
        ),
        (p.EnquireLink(sequence_number=3), "enquire_link", {}),
        (p.UnbindResp(sequence_number=3), "unbind_resp", {}),
        (p.GenericNack(sequence_number=3, command_status=3), "generic_nack", {"status": 3}),
        (
            p.QuerySmResp(sequence_number=3, message_id="m", message_state=2),
            "query_sm_resp",
            {"message_id": b"m", "message_state": 2},
        ),
    ],
)
def test_our_pdus_parse_in_smpplib(ours: p.Pdu, command: str, attrs: dict[str, Any]) -> None:
    theirs = smpplib_parse(p.encode(ours))
    assert theirs.command == command
    assert theirs.sequence == 3
    for name, value in attrs.items():
        assert getattr(theirs, name) == value


def test_smpplib_string_tlv_reads_with_our_accessor() -> None:
    data = smpplib_bytes("deliver_sm", 2, esm_class=4, receipted_message_id="xyz")
    pdu = p.decode(data)
    assert isinstance(pdu, p.DeliverSm)
    assert get_cstring(pdu.tlvs, Tag.receipted_message_id) == "xyz"
    assert get_int(pdu.tlvs, Tag.message_state) is None
