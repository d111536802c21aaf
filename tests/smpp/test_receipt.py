from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.smpp.errors import ReceiptError
from smsgate.smpp.pdu import DataSm, DeliverSm, decode, encode
from smsgate.smpp.receipt import (
    STAT_FOR_STATE,
    DeliveryReceipt,
    MessageState,
    format_receipt,
    parse_receipt,
    receipt_from_pdu,
    receipt_to_pdu,
)
from smsgate.smpp.tlv import Tag, Tlv

SPEC_TEXT = (
    "id:0123456789 sub:001 dlvrd:001 submit date:2401021530 done date:2401021531"
    " stat:DELIVRD err:000 text:Hello world"
)


def test_appendix_b_format() -> None:
    assert parse_receipt(SPEC_TEXT) == DeliveryReceipt(
        message_id="0123456789",
        submitted=1,
        delivered=1,
        submit_date=datetime(2024, 1, 2, 15, 30),
        done_date=datetime(2024, 1, 2, 15, 31),
        stat="DELIVRD",
        err="000",
        text="Hello world",
    )


def test_order_case_missing_fields_and_seconds() -> None:
    receipt = parse_receipt("Stat:undeliv ID:ab-1 Done Date:240102153145 Text:x  err:021")
    assert receipt.message_id == "ab-1"
    assert receipt.stat == "UNDELIV"
    assert receipt.state is MessageState.UNDELIVERABLE
    assert receipt.done_date == datetime(2024, 1, 2, 15, 31, 45)
    assert receipt.text == "x"
    assert receipt.err == "021"
    assert receipt.submitted is None
    assert receipt.submit_date is None


def test_text_may_contain_keys_already_seen() -> None:
    receipt = parse_receipt("id:1 stat:DELIVRD text:stat: fine id:2")
    assert receipt.message_id == "1"
    assert receipt.text == "stat: fine id:2"


def test_underscored_keys_and_bad_values() -> None:
    receipt = parse_receipt("id:9 sub:x dlvrd:1 submit_date:2413990000 done_date:24")
    assert receipt.submitted is None
    assert receipt.delivered == 1
    assert receipt.submit_date is None  # month 13
    assert receipt.done_date is None


def test_missing_id_is_an_error() -> None:
    with pytest.raises(ReceiptError):
        parse_receipt("sub:001 dlvrd:001 stat:DELIVRD")
    with pytest.raises(ReceiptError):
        parse_receipt("id: stat:DELIVRD")


def test_spelled_out_stat_maps_to_state() -> None:
    assert parse_receipt("id:1 stat:delivered").state is MessageState.DELIVERED
    assert parse_receipt("id:1 stat:WHATEVER").state is None
    assert DeliveryReceipt("1").state is None


def test_stat_words() -> None:
    assert STAT_FOR_STATE == {
        1: "ENROUTE",
        2: "DELIVRD",
        3: "EXPIRED",
        4: "DELETED",
        5: "UNDELIV",
        6: "ACCEPTD",
        7: "UNKNOWN",
        8: "REJECTD",
    }


_token = st.text(st.sampled_from("abcdefABCDEF0123456789-"), min_size=1, max_size=20)
_minutes = st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0)
)
_receipts = st.builds(
    DeliveryReceipt,
    message_id=_token,
    submitted=st.none() | st.integers(0, 999),
    delivered=st.none() | st.integers(0, 999),
    submit_date=st.none() | _minutes,
    done_date=st.none() | _minutes,
    stat=st.none() | st.sampled_from(sorted(STAT_FOR_STATE.values())),
    err=st.none() | st.text(st.sampled_from("0123456789"), min_size=1, max_size=3),
    text=st.none()
    | st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":")).map(
        lambda t: t.strip()
    ),
)


@given(_receipts)
def test_format_then_parse_round_trips(receipt: DeliveryReceipt) -> None:
    assert parse_receipt(format_receipt(receipt)) == receipt


def test_format_with_seconds() -> None:
    receipt = DeliveryReceipt("1", done_date=datetime(2024, 1, 2, 3, 4, 5), stat="DELIVRD")
    assert format_receipt(receipt) == "id:1 done date:2401020304 stat:DELIVRD"
    assert format_receipt(receipt, with_seconds=True) == "id:1 done date:240102030405 stat:DELIVRD"
    assert parse_receipt(format_receipt(receipt, with_seconds=True)) == receipt


def test_from_deliver_sm_text_only() -> None:
    pdu = DeliverSm(esm_class=0x04, short_message=SPEC_TEXT.encode())
    receipt = receipt_from_pdu(pdu)
    assert receipt is not None
    assert receipt.message_id == "0123456789"
    assert receipt.state is MessageState.DELIVERED


def test_tlvs_win_over_text() -> None:
    pdu = DeliverSm(
        esm_class=0x04,
        short_message=SPEC_TEXT.encode(),
        tlvs=(
            Tlv.from_cstring(Tag.receipted_message_id, "FROM-TLV"),
            Tlv.from_int(Tag.message_state, MessageState.EXPIRED),
        ),
    )
    receipt = receipt_from_pdu(pdu)
    assert receipt is not None
    assert receipt.message_id == "FROM-TLV"
    assert receipt.stat == "EXPIRED"
    assert receipt.submitted == 1  # the rest still comes from the text


def test_tlvs_alone_make_a_receipt() -> None:
    pdu = DeliverSm(
        esm_class=0x04,
        tlvs=(Tlv(Tag.receipted_message_id, b"m-1\x00"), Tlv(Tag.message_state, b"\x08")),
    )
    assert receipt_from_pdu(pdu) == DeliveryReceipt("m-1", stat="REJECTD")


def test_unknown_message_state_falls_back_to_text() -> None:
    pdu = DeliverSm(
        esm_class=0x04, short_message=b"id:1 stat:DELIVRD", tlvs=(Tlv(Tag.message_state, b"\x09"),)
    )
    receipt = receipt_from_pdu(pdu)
    assert receipt is not None
    assert receipt.stat == "DELIVRD"


def test_mobile_originated_message_is_not_a_receipt() -> None:
    assert receipt_from_pdu(DeliverSm(short_message=SPEC_TEXT.encode())) is None
    assert receipt_from_pdu(DeliverSm(esm_class=0x40, short_message=b"x")) is None


def test_intermediate_notification_and_data_sm_payload() -> None:
    pdu = DataSm(esm_class=0x20, tlvs=(Tlv(Tag.message_payload, b"id:77 stat:ENROUTE"),))
    assert receipt_from_pdu(pdu) == DeliveryReceipt("77", stat="ENROUTE")


def test_ucs2_receipt_text() -> None:
    pdu = DeliverSm(
        esm_class=0x04, data_coding=0x08, short_message="id:5 stat:DELIVRD".encode("utf-16-be")
    )
    assert receipt_from_pdu(pdu) == DeliveryReceipt("5", stat="DELIVRD")


def test_receipt_without_any_id_is_an_error() -> None:
    with pytest.raises(ReceiptError):
        receipt_from_pdu(DeliverSm(esm_class=0x04, short_message=b"stat:DELIVRD"))


def test_receipt_to_pdu_survives_the_wire() -> None:
    receipt = DeliveryReceipt(
        "abc",
        submitted=1,
        delivered=1,
        submit_date=datetime(2024, 1, 2, 3, 4),
        done_date=datetime(2024, 1, 2, 3, 5),
        stat="DELIVRD",
        err="000",
        text="Hello",
    )
    pdu = receipt_to_pdu(receipt, source_addr="447700900123", destination_addr="smsgate")
    decoded = decode(encode(pdu))
    assert isinstance(decoded, DeliverSm)
    assert decoded.esm_class == 0x04
    assert receipt_from_pdu(decoded) == receipt
