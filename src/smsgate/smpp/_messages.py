"""Message PDUs: submit_sm, deliver_sm, data_sm, query_sm, alert_notification.

SMPP 3.4 §4.4 (submit_sm), §4.6 (deliver_sm), §4.7 (data_sm), §4.8 (query_sm), §4.12
(alert_notification). Import them from `smsgate.smpp.pdu`.

submit_sm/submit_sm_resp are the hot path (thousands a second per bind): the codecs
below read and write fields with precompiled structs and no per-field reflection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from smsgate.smpp._wire import (
    HEADER_SIZE,
    U8X2,
    U8X3,
    U8X5,
    Pdu,
    expect_end,
    pack_cstring,
    read_cstring,
)
from smsgate.smpp.errors import LocalProtocolError, PduDecodeError
from smsgate.smpp.status import CommandId, CommandStatus
from smsgate.smpp.tlv import Tlv, decode_tlvs, encode_tlvs

_S = CommandStatus
SM_MAX_LENGTH = 254
"""Largest short_message in octets (SMPP 3.4 §5.2.22: sm_length 0-254)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _ShortMessage(Pdu):
    """Body shared by submit_sm (§4.4.1) and deliver_sm (§4.6.1).

    sm_length is not a field: it is len(short_message). For deliver_sm the spec sets
    schedule_delivery_time, validity_period and replace_if_present_flag to NULL.
    """

    service_type: str = ""  # max 6 incl. NUL
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""  # max 21 incl. NUL
    dest_addr_ton: int = 0
    dest_addr_npi: int = 0
    destination_addr: str = ""  # max 21 incl. NUL
    esm_class: int = 0
    protocol_id: int = 0
    priority_flag: int = 0
    schedule_delivery_time: str = ""  # NULL or 16 chars (§7.1.1)
    validity_period: str = ""  # NULL or 16 chars (§7.1.1)
    registered_delivery: int = 0
    replace_if_present_flag: int = 0
    data_coding: int = 0
    sm_default_msg_id: int = 0
    short_message: bytes = b""  # 0-254 octets
    tlvs: tuple[Tlv, ...] = ()

    def _encode_body(self) -> bytes:
        short_message = self.short_message
        if len(short_message) > SM_MAX_LENGTH:
            raise LocalProtocolError(
                f"short_message is {len(short_message)} octets; SMPP 3.4 allows at most 254."
                " Split it (udh.add_concat_udh) or send it in a message_payload TLV.",
                _S.ESME_RINVMSGLEN,
            )
        return b"".join(
            (
                pack_cstring(self.service_type, 6, _S.ESME_RINVSERTYP, "service_type"),
                U8X2.pack(self.source_addr_ton, self.source_addr_npi),
                pack_cstring(self.source_addr, 21, _S.ESME_RINVSRCADR, "source_addr"),
                U8X2.pack(self.dest_addr_ton, self.dest_addr_npi),
                pack_cstring(self.destination_addr, 21, _S.ESME_RINVDSTADR, "destination_addr"),
                U8X3.pack(self.esm_class, self.protocol_id, self.priority_flag),
                pack_cstring(
                    self.schedule_delivery_time, 17, _S.ESME_RINVSCHED, "schedule_delivery_time"
                ),
                pack_cstring(self.validity_period, 17, _S.ESME_RINVEXPIRY, "validity_period"),
                U8X5.pack(
                    self.registered_delivery,
                    self.replace_if_present_flag,
                    self.data_coding,
                    self.sm_default_msg_id,
                    len(short_message),
                ),
                short_message,
                encode_tlvs(self.tlvs) if self.tlvs else b"",
            )
        )

    @classmethod
    def _decode_body(cls, data: bytes, sequence_number: int, command_status: int) -> Self:
        service_type, pos = read_cstring(data, HEADER_SIZE, 6, _S.ESME_RINVSERTYP, "service_type")
        source_addr_ton, source_addr_npi = U8X2.unpack_from(data, pos)
        source_addr, pos = read_cstring(data, pos + 2, 21, _S.ESME_RINVSRCADR, "source_addr")
        dest_addr_ton, dest_addr_npi = U8X2.unpack_from(data, pos)
        destination_addr, pos = read_cstring(
            data, pos + 2, 21, _S.ESME_RINVDSTADR, "destination_addr"
        )
        esm_class, protocol_id, priority_flag = U8X3.unpack_from(data, pos)
        schedule_delivery_time, pos = read_cstring(
            data, pos + 3, 17, _S.ESME_RINVSCHED, "schedule_delivery_time"
        )
        validity_period, pos = read_cstring(data, pos, 17, _S.ESME_RINVEXPIRY, "validity_period")
        (
            registered_delivery,
            replace_if_present_flag,
            data_coding,
            sm_default_msg_id,
            sm_length,
        ) = U8X5.unpack_from(data, pos)
        pos += 5
        end = pos + sm_length
        # §5.2.22: sm_length is 0-254, and the octets it announces must be there.
        if sm_length > SM_MAX_LENGTH or end > len(data):
            raise PduDecodeError(
                f"sm_length is {sm_length} but {len(data) - pos} octets remain"
                " (SMPP 3.4 allows 0-254).",
                _S.ESME_RINVMSGLEN,
            )
        return cls(
            sequence_number=sequence_number,
            command_status=command_status,
            service_type=service_type,
            source_addr_ton=source_addr_ton,
            source_addr_npi=source_addr_npi,
            source_addr=source_addr,
            dest_addr_ton=dest_addr_ton,
            dest_addr_npi=dest_addr_npi,
            destination_addr=destination_addr,
            esm_class=esm_class,
            protocol_id=protocol_id,
            priority_flag=priority_flag,
            schedule_delivery_time=schedule_delivery_time,
            validity_period=validity_period,
            registered_delivery=registered_delivery,
            replace_if_present_flag=replace_if_present_flag,
            data_coding=data_coding,
            sm_default_msg_id=sm_default_msg_id,
            short_message=data[pos:end],
            tlvs=decode_tlvs(data, end) if end < len(data) else (),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class _MessageIdResp(Pdu):
    """Body of submit_sm_resp (§4.4.2) and deliver_sm_resp (§4.6.2): message_id only."""

    message_id: str = ""  # max 65 incl. NUL; deliver_sm_resp sets it to NULL

    def _encode_body(self) -> bytes:
        return pack_cstring(self.message_id, 65, _S.ESME_RINVMSGID, "message_id")

    @classmethod
    def _decode_body(cls, data: bytes, sequence_number: int, command_status: int) -> Self:
        message_id, pos = read_cstring(data, HEADER_SIZE, 65, _S.ESME_RINVMSGID, "message_id")
        expect_end(cls, data, pos)
        return cls(
            sequence_number=sequence_number, command_status=command_status, message_id=message_id
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitSm(_ShortMessage):
    """submit_sm (SMPP 3.4 §4.4.1): ESME submits a short message to the SMSC."""

    command_id = CommandId.submit_sm


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitSmResp(_MessageIdResp):
    """submit_sm_resp (SMPP 3.4 §4.4.2): carries the SMSC's message_id."""

    command_id = CommandId.submit_sm_resp


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliverSm(_ShortMessage):
    """deliver_sm (SMPP 3.4 §4.6.1): SMSC delivers a message or a delivery receipt."""

    command_id = CommandId.deliver_sm


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliverSmResp(_MessageIdResp):
    """deliver_sm_resp (SMPP 3.4 §4.6.2): message_id is unused (NULL)."""

    command_id = CommandId.deliver_sm_resp


@dataclass(frozen=True, slots=True, kw_only=True)
class DataSm(Pdu):
    """data_sm (SMPP 3.4 §4.7.1): either side transfers a message; payload in TLVs."""

    command_id = CommandId.data_sm

    service_type: str = ""  # max 6 incl. NUL
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""  # max 65 incl. NUL
    dest_addr_ton: int = 0
    dest_addr_npi: int = 0
    destination_addr: str = ""  # max 65 incl. NUL
    esm_class: int = 0
    registered_delivery: int = 0
    data_coding: int = 0
    tlvs: tuple[Tlv, ...] = ()

    def _encode_body(self) -> bytes:
        return b"".join(
            (
                pack_cstring(self.service_type, 6, _S.ESME_RINVSERTYP, "service_type"),
                U8X2.pack(self.source_addr_ton, self.source_addr_npi),
                pack_cstring(self.source_addr, 65, _S.ESME_RINVSRCADR, "source_addr"),
                U8X2.pack(self.dest_addr_ton, self.dest_addr_npi),
                pack_cstring(self.destination_addr, 65, _S.ESME_RINVDSTADR, "destination_addr"),
                U8X3.pack(self.esm_class, self.registered_delivery, self.data_coding),
                encode_tlvs(self.tlvs),
            )
        )

    @classmethod
    def _decode_body(cls, data: bytes, sequence_number: int, command_status: int) -> Self:
        service_type, pos = read_cstring(data, HEADER_SIZE, 6, _S.ESME_RINVSERTYP, "service_type")
        source_addr_ton, source_addr_npi = U8X2.unpack_from(data, pos)
        source_addr, pos = read_cstring(data, pos + 2, 65, _S.ESME_RINVSRCADR, "source_addr")
        dest_addr_ton, dest_addr_npi = U8X2.unpack_from(data, pos)
        destination_addr, pos = read_cstring(
            data, pos + 2, 65, _S.ESME_RINVDSTADR, "destination_addr"
        )
        esm_class, registered_delivery, data_coding = U8X3.unpack_from(data, pos)
        return cls(
            sequence_number=sequence_number,
            command_status=command_status,
            service_type=service_type,
            source_addr_ton=source_addr_ton,
            source_addr_npi=source_addr_npi,
            source_addr=source_addr,
            dest_addr_ton=dest_addr_ton,
            dest_addr_npi=dest_addr_npi,
            destination_addr=destination_addr,
            esm_class=esm_class,
            registered_delivery=registered_delivery,
            data_coding=data_coding,
            tlvs=decode_tlvs(data, pos + 3),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DataSmResp(Pdu):
    """data_sm_resp (SMPP 3.4 §4.7.2): message_id plus optional TLVs."""

    command_id = CommandId.data_sm_resp

    message_id: str = ""  # max 65 incl. NUL
    tlvs: tuple[Tlv, ...] = ()

    def _encode_body(self) -> bytes:
        body = pack_cstring(self.message_id, 65, _S.ESME_RINVMSGID, "message_id")
        return body + encode_tlvs(self.tlvs) if self.tlvs else body

    @classmethod
    def _decode_body(cls, data: bytes, sequence_number: int, command_status: int) -> Self:
        message_id, pos = read_cstring(data, HEADER_SIZE, 65, _S.ESME_RINVMSGID, "message_id")
        return cls(
            sequence_number=sequence_number,
            command_status=command_status,
            message_id=message_id,
            tlvs=decode_tlvs(data, pos),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class QuerySm(Pdu):
    """query_sm (SMPP 3.4 §4.8.1): ESME asks for a message's state."""

    command_id = CommandId.query_sm

    message_id: str = ""  # max 65 incl. NUL
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""  # max 21 incl. NUL

    def _encode_body(self) -> bytes:
        return b"".join(
            (
                pack_cstring(self.message_id, 65, _S.ESME_RINVMSGID, "message_id"),
                U8X2.pack(self.source_addr_ton, self.source_addr_npi),
                pack_cstring(self.source_addr, 21, _S.ESME_RINVSRCADR, "source_addr"),
            )
        )

    @classmethod
    def _decode_body(cls, data: bytes, sequence_number: int, command_status: int) -> Self:
        message_id, pos = read_cstring(data, HEADER_SIZE, 65, _S.ESME_RINVMSGID, "message_id")
        source_addr_ton, source_addr_npi = U8X2.unpack_from(data, pos)
        source_addr, pos = read_cstring(data, pos + 2, 21, _S.ESME_RINVSRCADR, "source_addr")
        expect_end(cls, data, pos)
        return cls(
            sequence_number=sequence_number,
            command_status=command_status,
            message_id=message_id,
            source_addr_ton=source_addr_ton,
            source_addr_npi=source_addr_npi,
            source_addr=source_addr,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class QuerySmResp(Pdu):
    """query_sm_resp (SMPP 3.4 §4.8.2): message_state is a `receipt.MessageState`."""

    command_id = CommandId.query_sm_resp

    message_id: str = ""  # max 65 incl. NUL
    final_date: str = ""  # NULL or 16 chars (§7.1.1)
    message_state: int = 0
    error_code: int = 0

    def _encode_body(self) -> bytes:
        return b"".join(
            (
                pack_cstring(self.message_id, 65, _S.ESME_RINVMSGID, "message_id"),
                pack_cstring(self.final_date, 17, _S.ESME_RINVPARLEN, "final_date"),
                U8X2.pack(self.message_state, self.error_code),
            )
        )

    @classmethod
    def _decode_body(cls, data: bytes, sequence_number: int, command_status: int) -> Self:
        message_id, pos = read_cstring(data, HEADER_SIZE, 65, _S.ESME_RINVMSGID, "message_id")
        final_date, pos = read_cstring(data, pos, 17, _S.ESME_RINVPARLEN, "final_date")
        message_state, error_code = U8X2.unpack_from(data, pos)
        expect_end(cls, data, pos + 2)
        return cls(
            sequence_number=sequence_number,
            command_status=command_status,
            message_id=message_id,
            final_date=final_date,
            message_state=message_state,
            error_code=error_code,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertNotification(Pdu):
    """alert_notification (SMPP 3.4 §4.12.1): SMSC says an MS is reachable. No response."""

    command_id = CommandId.alert_notification

    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""  # max 65 incl. NUL
    esme_addr_ton: int = 0
    esme_addr_npi: int = 0
    esme_addr: str = ""  # max 65 incl. NUL
    tlvs: tuple[Tlv, ...] = ()

    def _encode_body(self) -> bytes:
        return b"".join(
            (
                U8X2.pack(self.source_addr_ton, self.source_addr_npi),
                pack_cstring(self.source_addr, 65, _S.ESME_RINVSRCADR, "source_addr"),
                U8X2.pack(self.esme_addr_ton, self.esme_addr_npi),
                pack_cstring(self.esme_addr, 65, _S.ESME_RINVDSTADR, "esme_addr"),
                encode_tlvs(self.tlvs),
            )
        )

    @classmethod
    def _decode_body(cls, data: bytes, sequence_number: int, command_status: int) -> Self:
        source_addr_ton, source_addr_npi = U8X2.unpack_from(data, HEADER_SIZE)
        source_addr, pos = read_cstring(
            data, HEADER_SIZE + 2, 65, _S.ESME_RINVSRCADR, "source_addr"
        )
        esme_addr_ton, esme_addr_npi = U8X2.unpack_from(data, pos)
        esme_addr, pos = read_cstring(data, pos + 2, 65, _S.ESME_RINVDSTADR, "esme_addr")
        return cls(
            sequence_number=sequence_number,
            command_status=command_status,
            source_addr_ton=source_addr_ton,
            source_addr_npi=source_addr_npi,
            source_addr=source_addr,
            esme_addr_ton=esme_addr_ton,
            esme_addr_npi=esme_addr_npi,
            esme_addr=esme_addr,
            tlvs=decode_tlvs(data, pos),
        )
