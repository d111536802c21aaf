"""Wire primitives shared by the PDU modules: the header, C-Octet Strings, the Pdu base.

C-Octet Strings (SMPP 3.4 §3.1) are kept as `str`, decoded and encoded as latin-1. The
spec says "ASCII", but SMSCs put 8-bit octets in message_id and system_id in practice;
latin-1 maps octet N to code point N, so decoding never fails and re-encoding gives the
same bytes. Plain ASCII reads the same either way.
"""

from __future__ import annotations

import dataclasses
import struct
from dataclasses import dataclass
from typing import ClassVar, Final, Self

from smsgate.smpp.errors import LocalProtocolError, PduDecodeError
from smsgate.smpp.status import CommandId, CommandStatus

# SMPP 3.4 §3.2: command_length, command_id, command_status, sequence_number.
HEADER: Final = struct.Struct(">IIII")
HEADER_SIZE: Final = 16

U8X2: Final = struct.Struct(">BB")
U8X3: Final = struct.Struct(">BBB")
U8X4: Final = struct.Struct(">BBBB")
U8X5: Final = struct.Struct(">BBBBB")


def read_cstring(
    data: bytes, pos: int, size: int, status: CommandStatus, name: str
) -> tuple[str, int]:
    """Read a C-Octet String of at most `size` octets (NUL included) at `pos`.

    Returns:
        The string and the position after its NUL.

    Raises:
        PduDecodeError: `status` when the string is too long, ESME_RINVCMDLEN when the
            body ends before its NUL.
    """
    nul = data.find(0, pos, pos + size)
    if nul < 0:
        if pos + size > len(data):
            raise PduDecodeError(
                f"The body ends inside {name}, before its NUL terminator.",
                CommandStatus.ESME_RINVCMDLEN,
            )
        raise PduDecodeError(
            f"{name} is longer than {size - 1} octets, the most SMPP 3.4 allows.", status
        )
    return data[pos:nul].decode("latin-1"), nul + 1


def pack_cstring(value: str, size: int, status: CommandStatus, name: str) -> bytes:
    """Encode a C-Octet String of at most `size` octets, NUL included.

    Raises:
        LocalProtocolError: with `status` if `value` is too long, holds a NUL or has
            characters beyond latin-1.
    """
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise LocalProtocolError(
            f"{name} {value!r} has characters outside latin-1; C-Octet Strings are 8-bit.",
            status,
        ) from exc
    if len(raw) >= size or 0 in raw:
        raise LocalProtocolError(
            f"{name} {value!r} must be at most {size - 1} octets without NUL (SMPP 3.4).",
            status,
        )
    return raw + b"\x00"


def expect_end(cls: type[Pdu], data: bytes, pos: int) -> None:
    """Reject octets after the last mandatory field of a PDU that takes no TLVs.

    Raises:
        PduDecodeError: ESME_RINVCMDLEN.
    """
    if pos != len(data):
        raise PduDecodeError(
            f"{cls.command_id.name} takes no optional parameters, but"
            f" {len(data) - pos} octets follow its last field.",
            CommandStatus.ESME_RINVCMDLEN,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Pdu:
    """Base of every PDU: the header fields a caller sets (SMPP 3.4 §3.2).

    command_length is derived when encoding and command_id is a class attribute.
    `command_status` stays an `int` because peers send values outside table 5-2.
    """

    command_id: ClassVar[CommandId]

    sequence_number: int = 0
    command_status: int = 0

    @property
    def is_response(self) -> bool:
        """True for `*_resp` PDUs and generic_nack."""
        return self.command_id.is_response

    def _encode_body(self) -> bytes:
        """Encode the body (everything after the header). Empty for bodiless PDUs."""
        return b""

    @classmethod
    def _decode_body(cls, data: bytes, sequence_number: int, command_status: int) -> Self:
        """Decode the body of `data` (a whole PDU, header included)."""
        if len(data) != HEADER_SIZE:
            raise PduDecodeError(
                f"{cls.command_id.name} has no body, but {len(data) - HEADER_SIZE} octets"
                " follow the header.",
                CommandStatus.ESME_RINVCMDLEN,
            )
        return cls(sequence_number=sequence_number, command_status=command_status)


def explain_encode_failure(pdu: Pdu, exc: Exception) -> LocalProtocolError:
    """Name the field that made encoding fail; used only on the error path.

    The fast encoders let `struct`/`bytes` reject bad values. This walks the fields once
    to turn their terse message into a sentence that names the field and the fix.
    """
    name = type(pdu).__name__
    for f in dataclasses.fields(pdu):
        value = getattr(pdu, f.name)
        if f.name in ("sequence_number", "command_status"):
            if type(value) is not int or not 0 <= value <= 0xFFFFFFFF:
                return LocalProtocolError(
                    f"{name}.{f.name} is {value!r}; it must be an int from 0 to 0xFFFFFFFF."
                )
        elif isinstance(f.default, bool) or type(f.default) is int:
            if not isinstance(value, int) or not 0 <= value <= 0xFF:
                return LocalProtocolError(
                    f"{name}.{f.name} is {value!r}; it must be an int from 0 to 255."
                )
        elif isinstance(f.default, str):
            if not isinstance(value, str):
                return LocalProtocolError(f"{name}.{f.name} is {value!r}; it must be a str.")
        elif isinstance(f.default, bytes):
            if not isinstance(value, bytes):
                return LocalProtocolError(f"{name}.{f.name} is {value!r}; it must be bytes.")
        elif not isinstance(value, tuple):
            return LocalProtocolError(f"{name}.{f.name} is {value!r}; it must be a tuple of Tlv.")
    return LocalProtocolError(f"{name} cannot be encoded: {exc}.")
