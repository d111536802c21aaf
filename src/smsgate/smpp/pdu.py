"""The SMPP 3.4 codec: one frozen dataclass per command, `encode` and `decode`.

    >>> decode(encode(EnquireLink(sequence_number=1)))
    EnquireLink(sequence_number=1, command_status=0)

`decode` parses the 16-octet header (SMPP 3.4 §3.2) with a precompiled struct, then
looks the body up in `PDU_CLASSES`, a command_id -> class dict written out below (not
filled by import side effects). Field names are the spec's. C-Octet Strings are `str`
(latin-1, see `_wire`), short_message is `bytes`, and optional parameters are a
`tlvs` tuple in wire order on the commands that allow them.

A `*_resp` with an empty body decodes to its defaults: §3.2 lets a response with an
error status omit the body, and some SMSCs also send bodiless ROK responses, which
carry nothing we could reject them for. Symmetrically, `encode` leaves the body out of
an error response whose body fields are all at their defaults (§4.4.2 says the
submit_sm_resp body "is not returned" on error).

replace_sm, cancel_sm and submit_multi (and their responses) have command ids but no
codec; decoding them raises PduDecodeError(ESME_RINVCMDID), which answers "unsupported".
"""

from __future__ import annotations

import struct
from typing import Final

from smsgate.smpp._messages import (
    SM_MAX_LENGTH,
    AlertNotification,
    DataSm,
    DataSmResp,
    DeliverSm,
    DeliverSmResp,
    QuerySm,
    QuerySmResp,
    SubmitSm,
    SubmitSmResp,
)
from smsgate.smpp._session import (
    BindReceiver,
    BindReceiverResp,
    BindTransceiver,
    BindTransceiverResp,
    BindTransmitter,
    BindTransmitterResp,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    Outbind,
    Unbind,
    UnbindResp,
)
from smsgate.smpp._wire import HEADER, HEADER_SIZE, Pdu, explain_encode_failure
from smsgate.smpp.errors import FramingError, LocalProtocolError, PduDecodeError
from smsgate.smpp.status import RESPONSE_BIT, CommandId, CommandStatus

__all__ = [
    "HEADER_SIZE",
    "PDU_CLASSES",
    "RESPONSE_CLASSES",
    "SM_MAX_LENGTH",
    "AlertNotification",
    "BindReceiver",
    "BindReceiverResp",
    "BindTransceiver",
    "BindTransceiverResp",
    "BindTransmitter",
    "BindTransmitterResp",
    "DataSm",
    "DataSmResp",
    "DeliverSm",
    "DeliverSmResp",
    "EnquireLink",
    "EnquireLinkResp",
    "GenericNack",
    "Outbind",
    "Pdu",
    "QuerySm",
    "QuerySmResp",
    "SubmitSm",
    "SubmitSmResp",
    "Unbind",
    "UnbindResp",
    "decode",
    "encode",
]

PDU_CLASSES: Final[dict[int, type[Pdu]]] = {
    CommandId.generic_nack: GenericNack,
    CommandId.bind_receiver: BindReceiver,
    CommandId.bind_receiver_resp: BindReceiverResp,
    CommandId.bind_transmitter: BindTransmitter,
    CommandId.bind_transmitter_resp: BindTransmitterResp,
    CommandId.query_sm: QuerySm,
    CommandId.query_sm_resp: QuerySmResp,
    CommandId.submit_sm: SubmitSm,
    CommandId.submit_sm_resp: SubmitSmResp,
    CommandId.deliver_sm: DeliverSm,
    CommandId.deliver_sm_resp: DeliverSmResp,
    CommandId.unbind: Unbind,
    CommandId.unbind_resp: UnbindResp,
    CommandId.bind_transceiver: BindTransceiver,
    CommandId.bind_transceiver_resp: BindTransceiverResp,
    CommandId.outbind: Outbind,
    CommandId.enquire_link: EnquireLink,
    CommandId.enquire_link_resp: EnquireLinkResp,
    CommandId.alert_notification: AlertNotification,
    CommandId.data_sm: DataSm,
    CommandId.data_sm_resp: DataSmResp,
}
"""command_id -> PDU class, for every command this codec reads and writes."""

RESPONSE_CLASSES: Final[dict[int, type[Pdu]]] = {
    cid: PDU_CLASSES[cid | RESPONSE_BIT]
    for cid in PDU_CLASSES
    if not cid & RESPONSE_BIT and cid | RESPONSE_BIT in PDU_CLASSES
}
"""request command_id -> its response class. outbind and alert_notification have none."""

# The body of each response at its defaults: an error response with this body is sent
# without one (see the module docstring).
_DEFAULT_BODIES: Final[dict[type[Pdu], bytes]] = {
    cls: cls()._encode_body() for cls in RESPONSE_CLASSES.values()
}


def encode(pdu: Pdu) -> bytes:
    """Encode one PDU, header included.

    Args:
        pdu: any PDU; `sequence_number` is written as given (0 included).

    Returns:
        The PDU's bytes; command_length is computed.

    Raises:
        LocalProtocolError: a field is out of range for SMPP 3.4: a C-Octet String too
            long, a short_message over 254 octets, an integer that does not fit its
            octets, a TLV of the wrong length. `status` names the matching
            ESME_RINV* code. Nothing was written.
    """
    try:
        body = pdu._encode_body()
        status = pdu.command_status
        if status and pdu.command_id & RESPONSE_BIT and _DEFAULT_BODIES.get(type(pdu)) == body:
            body = b""
        return (
            HEADER.pack(HEADER_SIZE + len(body), pdu.command_id, status, pdu.sequence_number) + body
        )
    except LocalProtocolError:
        raise
    except (struct.error, ValueError, TypeError, AttributeError) as exc:
        raise explain_encode_failure(pdu, exc) from exc


def decode(data: bytes) -> Pdu:
    """Decode exactly one whole PDU (as `FrameBuffer` yields them).

    Args:
        data: the PDU's bytes, header included; command_length must equal len(data).

    Returns:
        The PDU, an instance of the class `PDU_CLASSES` maps its command_id to.

    Raises:
        FramingError: command_length is below 16 or differs from len(data).
        PduDecodeError: the header is readable but the PDU is not. `status` is the
            command_status to answer with; `sequence_number` and `command_id` are set.
    """
    size = len(data)
    if size < HEADER_SIZE:
        raise FramingError(f"A PDU needs a 16-octet header; got {size} octets.")
    command_length, command_id, command_status, sequence_number = HEADER.unpack_from(data)
    if command_length != size:
        raise FramingError(
            f"command_length is {command_length} but the PDU has {size} octets.",
            sequence_number=sequence_number,
            command_id=command_id,
        )
    cls = PDU_CLASSES.get(command_id)
    if cls is None:
        raise PduDecodeError(
            f"command_id 0x{command_id:08X} is not a command this gateway supports.",
            CommandStatus.ESME_RINVCMDID,
            sequence_number=sequence_number,
            command_id=command_id,
        )
    if size == HEADER_SIZE and command_id & RESPONSE_BIT:
        return cls(sequence_number=sequence_number, command_status=command_status)
    try:
        return cls._decode_body(data, sequence_number, command_status)
    except PduDecodeError as exc:
        exc.sequence_number = sequence_number
        exc.command_id = command_id
        raise
    except struct.error as exc:
        raise PduDecodeError(
            f"The {cls.command_id.name} body ends before its mandatory fields do.",
            CommandStatus.ESME_RINVCMDLEN,
            sequence_number=sequence_number,
            command_id=command_id,
        ) from exc
