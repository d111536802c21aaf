"""Session-management PDUs: bind, outbind, unbind, enquire_link, generic_nack.

SMPP 3.4 §4.1 (bind_*), §4.2 (outbind), §4.2-4.3 (unbind, generic_nack), §4.11
(enquire_link). Import them from `smsgate.smpp.pdu`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Self

from smsgate.smpp._wire import HEADER_SIZE, U8X3, Pdu, expect_end, pack_cstring, read_cstring
from smsgate.smpp.status import CommandId, CommandStatus
from smsgate.smpp.tlv import Tlv, decode_tlvs, encode_tlvs

_S = CommandStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class _Bind(Pdu):
    """Body shared by the three bind requests (SMPP 3.4 §4.1.1, §4.1.3, §4.1.5)."""

    system_id: str = ""  # max 16 incl. NUL
    password: str = field(default="", repr=False)  # max 9 incl. NUL; never in repr
    system_type: str = ""  # max 13 incl. NUL
    interface_version: int = 0x34  # §5.2.4: 0x34 for SMPP 3.4
    addr_ton: int = 0
    addr_npi: int = 0
    address_range: str = ""  # max 41 incl. NUL

    def _encode_body(self) -> bytes:
        return b"".join(
            (
                pack_cstring(self.system_id, 16, _S.ESME_RINVSYSID, "system_id"),
                pack_cstring(self.password, 9, _S.ESME_RINVPASWD, "password"),
                pack_cstring(self.system_type, 13, _S.ESME_RINVSYSTYP, "system_type"),
                U8X3.pack(self.interface_version, self.addr_ton, self.addr_npi),
                pack_cstring(self.address_range, 41, _S.ESME_RINVPARLEN, "address_range"),
            )
        )

    @classmethod
    def _decode_body(cls, data: bytes, sequence_number: int, command_status: int) -> Self:
        system_id, pos = read_cstring(data, HEADER_SIZE, 16, _S.ESME_RINVSYSID, "system_id")
        password, pos = read_cstring(data, pos, 9, _S.ESME_RINVPASWD, "password")
        system_type, pos = read_cstring(data, pos, 13, _S.ESME_RINVSYSTYP, "system_type")
        interface_version, addr_ton, addr_npi = U8X3.unpack_from(data, pos)
        address_range, pos = read_cstring(data, pos + 3, 41, _S.ESME_RINVPARLEN, "address_range")
        expect_end(cls, data, pos)
        return cls(
            sequence_number=sequence_number,
            command_status=command_status,
            system_id=system_id,
            password=password,
            system_type=system_type,
            interface_version=interface_version,
            addr_ton=addr_ton,
            addr_npi=addr_npi,
            address_range=address_range,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class _BindResp(Pdu):
    """Body shared by the bind responses (SMPP 3.4 §4.1.2, §4.1.4, §4.1.6).

    The only TLV the spec defines here is sc_interface_version.
    """

    system_id: str = ""  # the SMSC's id, max 16 incl. NUL
    tlvs: tuple[Tlv, ...] = ()

    def _encode_body(self) -> bytes:
        body = pack_cstring(self.system_id, 16, _S.ESME_RINVSYSID, "system_id")
        return body + encode_tlvs(self.tlvs) if self.tlvs else body

    @classmethod
    def _decode_body(cls, data: bytes, sequence_number: int, command_status: int) -> Self:
        system_id, pos = read_cstring(data, HEADER_SIZE, 16, _S.ESME_RINVSYSID, "system_id")
        return cls(
            sequence_number=sequence_number,
            command_status=command_status,
            system_id=system_id,
            tlvs=decode_tlvs(data, pos),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class BindTransmitter(_Bind):
    """bind_transmitter (SMPP 3.4 §4.1.1): ESME asks to submit messages."""

    command_id = CommandId.bind_transmitter


@dataclass(frozen=True, slots=True, kw_only=True)
class BindTransmitterResp(_BindResp):
    """bind_transmitter_resp (SMPP 3.4 §4.1.2)."""

    command_id = CommandId.bind_transmitter_resp


@dataclass(frozen=True, slots=True, kw_only=True)
class BindReceiver(_Bind):
    """bind_receiver (SMPP 3.4 §4.1.3): ESME asks to receive messages."""

    command_id = CommandId.bind_receiver


@dataclass(frozen=True, slots=True, kw_only=True)
class BindReceiverResp(_BindResp):
    """bind_receiver_resp (SMPP 3.4 §4.1.4)."""

    command_id = CommandId.bind_receiver_resp


@dataclass(frozen=True, slots=True, kw_only=True)
class BindTransceiver(_Bind):
    """bind_transceiver (SMPP 3.4 §4.1.5): ESME asks to submit and receive."""

    command_id = CommandId.bind_transceiver


@dataclass(frozen=True, slots=True, kw_only=True)
class BindTransceiverResp(_BindResp):
    """bind_transceiver_resp (SMPP 3.4 §4.1.6)."""

    command_id = CommandId.bind_transceiver_resp


@dataclass(frozen=True, slots=True, kw_only=True)
class Outbind(Pdu):
    """outbind (SMPP 3.4 §4.1.7): the SMSC asks the ESME to bind_receiver. No response."""

    command_id = CommandId.outbind

    system_id: str = ""  # max 16 incl. NUL
    password: str = field(default="", repr=False)  # max 9 incl. NUL

    def _encode_body(self) -> bytes:
        return pack_cstring(self.system_id, 16, _S.ESME_RINVSYSID, "system_id") + pack_cstring(
            self.password, 9, _S.ESME_RINVPASWD, "password"
        )

    @classmethod
    def _decode_body(cls, data: bytes, sequence_number: int, command_status: int) -> Self:
        system_id, pos = read_cstring(data, HEADER_SIZE, 16, _S.ESME_RINVSYSID, "system_id")
        password, pos = read_cstring(data, pos, 9, _S.ESME_RINVPASWD, "password")
        expect_end(cls, data, pos)
        return cls(
            sequence_number=sequence_number,
            command_status=command_status,
            system_id=system_id,
            password=password,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Unbind(Pdu):
    """unbind (SMPP 3.4 §4.2.1): either side ends the session. No body."""

    command_id = CommandId.unbind


@dataclass(frozen=True, slots=True, kw_only=True)
class UnbindResp(Pdu):
    """unbind_resp (SMPP 3.4 §4.2.2). No body."""

    command_id = CommandId.unbind_resp


@dataclass(frozen=True, slots=True, kw_only=True)
class EnquireLink(Pdu):
    """enquire_link (SMPP 3.4 §4.11.1): keepalive, from either side. No body."""

    command_id = CommandId.enquire_link


@dataclass(frozen=True, slots=True, kw_only=True)
class EnquireLinkResp(Pdu):
    """enquire_link_resp (SMPP 3.4 §4.11.2). No body."""

    command_id = CommandId.enquire_link_resp


@dataclass(frozen=True, slots=True, kw_only=True)
class GenericNack(Pdu):
    """generic_nack (SMPP 3.4 §4.3.1): answers a PDU that could not be handled. No body."""

    command_id = CommandId.generic_nack
