"""SMPP 3.4: sans-I/O codec and connection, plus thin asyncio glue.

What other packages may import. The layers, bottom up:

- `status`: CommandId, CommandStatus (spec tables 5-1, 5-2).
- `tlv`: optional parameters (Tag, Tlv and typed accessors).
- `pdu`: one frozen dataclass per command, `encode` and `decode`.
- `connection`: `Connection(role)` -- framing, bind state, sequence numbers, window.
- `receipt`, `udh`: delivery receipts and concatenation headers.

Modules starting with `_` are private to this package.
"""

from smsgate.smpp.connection import (
    NEED_DATA,
    Connection,
    Event,
    NeedData,
    PduRejected,
    Role,
    State,
    error_response,
)
from smsgate.smpp.errors import (
    BindStateError,
    FramingError,
    LocalProtocolError,
    PduDecodeError,
    ProtocolError,
    ReceiptError,
    RemoteProtocolError,
    UdhError,
)
from smsgate.smpp.pdu import (
    PDU_CLASSES,
    RESPONSE_CLASSES,
    AlertNotification,
    BindReceiver,
    BindReceiverResp,
    BindTransceiver,
    BindTransceiverResp,
    BindTransmitter,
    BindTransmitterResp,
    DataSm,
    DataSmResp,
    DeliverSm,
    DeliverSmResp,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    Outbind,
    Pdu,
    QuerySm,
    QuerySmResp,
    SubmitSm,
    SubmitSmResp,
    Unbind,
    UnbindResp,
    decode,
    encode,
)
from smsgate.smpp.receipt import (
    DeliveryReceipt,
    MessageState,
    format_receipt,
    parse_receipt,
    receipt_from_pdu,
    receipt_to_pdu,
)
from smsgate.smpp.status import CommandId, CommandStatus
from smsgate.smpp.tlv import NetworkErrorCode, Tag, Tlv
from smsgate.smpp.udh import ESM_CLASS_UDHI, ConcatInfo, add_concat_udh, parse_udh

__all__ = [
    "ESM_CLASS_UDHI",
    "NEED_DATA",
    "PDU_CLASSES",
    "RESPONSE_CLASSES",
    "AlertNotification",
    "BindReceiver",
    "BindReceiverResp",
    "BindStateError",
    "BindTransceiver",
    "BindTransceiverResp",
    "BindTransmitter",
    "BindTransmitterResp",
    "CommandId",
    "CommandStatus",
    "ConcatInfo",
    "Connection",
    "DataSm",
    "DataSmResp",
    "DeliverSm",
    "DeliverSmResp",
    "DeliveryReceipt",
    "EnquireLink",
    "EnquireLinkResp",
    "Event",
    "FramingError",
    "GenericNack",
    "LocalProtocolError",
    "MessageState",
    "NeedData",
    "NetworkErrorCode",
    "Outbind",
    "Pdu",
    "PduDecodeError",
    "PduRejected",
    "ProtocolError",
    "QuerySm",
    "QuerySmResp",
    "ReceiptError",
    "RemoteProtocolError",
    "Role",
    "State",
    "SubmitSm",
    "SubmitSmResp",
    "Tag",
    "Tlv",
    "UdhError",
    "Unbind",
    "UnbindResp",
    "add_concat_udh",
    "decode",
    "encode",
    "error_response",
    "format_receipt",
    "parse_receipt",
    "parse_udh",
    "receipt_from_pdu",
    "receipt_to_pdu",
]
