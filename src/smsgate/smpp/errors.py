"""Errors of the SMPP stack.

    SmppError (smsgate.errors)
    ├── ProtocolError               carries status, sequence_number, command_id
    │   ├── LocalProtocolError      we were asked to do something illegal (encode/send refused)
    │   └── RemoteProtocolError     the peer sent something illegal; answer it with status
    │       ├── PduDecodeError      bytes that do not decode into a PDU
    │       │   └── FramingError    command_length < 16 or > cap: framing is lost, close
    │       └── BindStateError      a PDU not allowed in the current bind state
    ├── ReceiptError                a delivery receipt without a message id
    └── UdhError                    a user data header that does not parse

`status` is the SMPP 3.4 command_status (§5.1.3) that answers the problem, so the glue
turns any of these into a `*_resp` or a generic_nack with one lookup
(`smsgate.smpp.connection.error_response`). `sequence_number` and `command_id` are set
when the header was readable, and are None otherwise.

Local or remote is decided at the boundary (as in h11): the codec raises
LocalProtocolError from `encode` and RemoteProtocolError from `decode`; the connection
raises LocalProtocolError from `send` and reports remote problems as events.
"""

from __future__ import annotations

from smsgate.errors import SmppError
from smsgate.smpp.status import CommandStatus

__all__ = [
    "BindStateError",
    "FramingError",
    "LocalProtocolError",
    "PduDecodeError",
    "ProtocolError",
    "ReceiptError",
    "RemoteProtocolError",
    "SmppError",
    "UdhError",
]


class ProtocolError(SmppError):
    """Base of the SMPP protocol errors.

    Attributes:
        status: the command_status that answers this problem.
        sequence_number: the offending PDU's sequence_number, if known.
        command_id: the offending PDU's command_id, if known.
    """

    status: CommandStatus = CommandStatus.ESME_RSYSERR

    def __init__(
        self,
        message: str,
        status: CommandStatus | None = None,
        *,
        sequence_number: int | None = None,
        command_id: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.sequence_number = sequence_number
        self.command_id = command_id

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status.name},"
            f" sequence_number={self.sequence_number}, command_id={self.command_id})"
        )


class LocalProtocolError(ProtocolError):
    """We were asked to encode or send something SMPP does not allow.

    Nothing was sent and the connection's state is unchanged: fix the PDU and retry.
    """


class RemoteProtocolError(ProtocolError):
    """The peer sent something SMPP does not allow. Answer it with `status`."""


class PduDecodeError(RemoteProtocolError):
    """Bytes that do not decode into a PDU; `status` says why (SMPP 3.4 §5.1.3).

    ESME_RINVCMDID for an unknown command_id, ESME_RINVCMDLEN for a body of the wrong
    length, ESME_RINVMSGLEN for a bad sm_length, ESME_RINVOPTPARSTREAM / ESME_RINVPARLEN
    for a broken TLV, and a field's own code (ESME_RINVSRCADR, ...) for a C-Octet
    String longer than the spec allows. The framing is intact: answer and carry on.
    """

    status = CommandStatus.ESME_RSYSERR


class FramingError(PduDecodeError):
    """command_length is below 16 or above the cap: the byte stream cannot be re-synced.

    The session must close (after an optional generic_nack with ESME_RINVCMDLEN).
    """

    status = CommandStatus.ESME_RINVCMDLEN


class BindStateError(RemoteProtocolError):
    """The peer sent a PDU its role may not send in the current bind state (SMPP 3.4 §2.3).

    ESME_RINVBNDSTS, or ESME_RALYBND for a bind on an already bound session.
    """

    status = CommandStatus.ESME_RINVBNDSTS


class ReceiptError(SmppError):
    """A deliver_sm/data_sm flagged as a delivery receipt names no message id."""


class UdhError(SmppError):
    """A short_message flagged with UDHI whose user data header does not parse."""
