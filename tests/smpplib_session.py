"""One bind → submit → receipt round trip by smpplib, an independent blocking SMPP client."""

from __future__ import annotations

import time
from typing import Any

import smpplib.client


def smpplib_round_trip(port: int, body: bytes) -> tuple[list[bytes], list[Any]]:
    """Bind as transceiver to 127.0.0.1:`port`, submit `body`, wait (bounded) for the receipt.

    Returns the message ids from submit_sm_resp and the deliver_sm PDUs received.
    """
    client = smpplib.client.Client("127.0.0.1", port, timeout=5, allow_unknown_opt_params=True)
    sent: list[bytes] = []
    received: list[Any] = []
    client.set_message_sent_handler(lambda pdu: sent.append(pdu.message_id))
    client.set_message_received_handler(lambda pdu: received.append(pdu))
    client.connect()
    try:
        client.bind_transceiver(system_id="smsgate", password="secret")
        client.send_message(
            source_addr_ton=1,
            source_addr="15005550006",
            dest_addr_ton=1,
            destination_addr="14155552671",
            short_message=body,
            registered_delivery=1,
        )
        deadline = time.monotonic() + 5
        while not (sent and received) and time.monotonic() < deadline:
            client.read_once(auto_send_enquire_link=False)  # blocks up to the timeout
        client.unbind()
    finally:
        client.disconnect()
    return sent, received
