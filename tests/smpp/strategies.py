"""Hypothesis strategies for valid PDUs, written from the spec's field sizes.

The maximum lengths here are typed in from SMPP 3.4 §4 (NUL included), independently
of the codec, so a wrong limit in the codec shows up as a failing round trip.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from smsgate.smpp import pdu as p
from smsgate.smpp.tlv import SIZES, Tlv

u8 = st.integers(0, 0xFF)
u32 = st.integers(0, 0xFFFFFFFF)


def cstring(size: int) -> st.SearchStrategy[str]:
    """A C-Octet String value of at most size - 1 latin-1 characters, no NUL."""
    return st.text(st.characters(min_codepoint=1, max_codepoint=0xFF), max_size=size - 1)


def _known_tlv(tag: int) -> st.SearchStrategy[Tlv]:
    low, high = SIZES[tag]
    return st.binary(min_size=low, max_size=min(high, 300)).map(lambda v: Tlv(tag, v))


_vendor_tlv = st.builds(
    Tlv,
    st.integers(0, 0xFFFF).filter(lambda t: t not in SIZES),
    st.binary(max_size=64),
)

tlv = st.one_of(st.sampled_from(sorted(SIZES)).flatmap(_known_tlv), _vendor_tlv)
tlvs = st.lists(tlv, max_size=4).map(tuple)

_header: dict[str, Any] = {"sequence_number": u32, "command_status": u32}

_bind = {
    "system_id": cstring(16),
    "password": cstring(9),
    "system_type": cstring(13),
    "interface_version": u8,
    "addr_ton": u8,
    "addr_npi": u8,
    "address_range": cstring(41),
}
_bind_resp = {"system_id": cstring(16), "tlvs": tlvs}
_short_message = {
    "service_type": cstring(6),
    "source_addr_ton": u8,
    "source_addr_npi": u8,
    "source_addr": cstring(21),
    "dest_addr_ton": u8,
    "dest_addr_npi": u8,
    "destination_addr": cstring(21),
    "esm_class": u8,
    "protocol_id": u8,
    "priority_flag": u8,
    "schedule_delivery_time": cstring(17),
    "validity_period": cstring(17),
    "registered_delivery": u8,
    "replace_if_present_flag": u8,
    "data_coding": u8,
    "sm_default_msg_id": u8,
    "short_message": st.binary(max_size=254),
    "tlvs": tlvs,
}
_message_id = {"message_id": cstring(65)}

FIELDS: dict[type[p.Pdu], dict[str, Any]] = {
    p.BindTransmitter: _bind,
    p.BindReceiver: _bind,
    p.BindTransceiver: _bind,
    p.BindTransmitterResp: _bind_resp,
    p.BindReceiverResp: _bind_resp,
    p.BindTransceiverResp: _bind_resp,
    p.Outbind: {"system_id": cstring(16), "password": cstring(9)},
    p.Unbind: {},
    p.UnbindResp: {},
    p.EnquireLink: {},
    p.EnquireLinkResp: {},
    p.GenericNack: {},
    p.SubmitSm: _short_message,
    p.DeliverSm: _short_message,
    p.SubmitSmResp: _message_id,
    p.DeliverSmResp: _message_id,
    p.DataSm: {
        "service_type": cstring(6),
        "source_addr_ton": u8,
        "source_addr_npi": u8,
        "source_addr": cstring(65),
        "dest_addr_ton": u8,
        "dest_addr_npi": u8,
        "destination_addr": cstring(65),
        "esm_class": u8,
        "registered_delivery": u8,
        "data_coding": u8,
        "tlvs": tlvs,
    },
    p.DataSmResp: {"message_id": cstring(65), "tlvs": tlvs},
    p.QuerySm: {
        "message_id": cstring(65),
        "source_addr_ton": u8,
        "source_addr_npi": u8,
        "source_addr": cstring(21),
    },
    p.QuerySmResp: {
        "message_id": cstring(65),
        "final_date": cstring(17),
        "message_state": u8,
        "error_code": u8,
    },
    p.AlertNotification: {
        "source_addr_ton": u8,
        "source_addr_npi": u8,
        "source_addr": cstring(65),
        "esme_addr_ton": u8,
        "esme_addr_npi": u8,
        "esme_addr": cstring(65),
        "tlvs": tlvs,
    },
}


def pdus_of(cls: type[p.Pdu]) -> st.SearchStrategy[p.Pdu]:
    """Valid instances of one PDU class."""
    return st.builds(cls, **_header, **FIELDS[cls])


any_pdu = st.sampled_from(sorted(FIELDS, key=lambda c: c.command_id)).flatmap(pdus_of)
