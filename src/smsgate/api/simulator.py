"""`/simulator`: play a handset in the sandbox. Served only while the simulator runs.

`POST /simulator/inbound` makes a virtual handset text one of your numbers: the simulator
sends it to the gateway as a deliver_sm over SMPP, as a carrier would. `GET
/simulator/handsets/{number}` shows what a virtual handset received from your account.
"""

from __future__ import annotations

from typing import Any

import msgspec
from fastapi import APIRouter, Request
from sqlalchemy import Connection, select
from starlette.responses import Response

from smsgate.api._fastpath import json_response
from smsgate.api.problems import problem
from smsgate.api.resources import timestamp
from smsgate.api.services import ApiServices
from smsgate.domain.connectors import SIMULATOR as SANDBOX_CONNECTOR
from smsgate.domain.phone import parse_destination
from smsgate.domain.submission import MAX_BODY_CHARACTERS
from smsgate.errors import (
    BodyTooLongError,
    EmptyBodyError,
    ErrorCode,
    FromNotOwnedError,
    InvalidParameterError,
    ValidationError,
)
from smsgate.simulator.smsc import Concatenation, Simulator
from smsgate.store import numbers as number_store
from smsgate.store.schema import message_parts, messages


class InboundRequest(msgspec.Struct, forbid_unknown_fields=True, rename={"from_": "from"}):
    from_: str
    to: str
    body: str
    # Only these parts of a long text, in this order (a network reordering or losing parts).
    parts: list[int] | None = None
    # The concatenation reference, so the rest of a text can follow in a later call.
    reference: int | None = None
    # How a long text's parts are marked: UDH with an 8- or 16-bit reference, or sar_* TLVs.
    concatenation: Concatenation = "udh8"


_decoder = msgspec.json.Decoder(InboundRequest)


def build_router(services: ApiServices, simulator: Simulator) -> APIRouter:
    router = APIRouter(prefix="/simulator", tags=["simulator"])
    auth = services.auth

    @router.post(
        "/inbound",
        status_code=202,
        summary="A virtual handset texts one of your numbers (sandbox)",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": msgspec.json.schema(InboundRequest),
                        "example": {"from": "+14155552671", "to": "+15005550006", "body": "STOP"},
                    }
                },
            }
        },
    )
    async def inbound(request: Request) -> Response:
        principal = await auth(request)
        try:
            parsed = _decoder.decode(await request.body())
        except msgspec.DecodeError as exc:
            raise ValidationError(f"The request body is not valid: {exc}.") from None
        sender = parse_destination(parsed.from_, field="from").e164
        if not parsed.body:
            raise EmptyBodyError("The body is empty; give the handset's text.", field="body")
        if len(parsed.body) > MAX_BODY_CHARACTERS:
            raise BodyTooLongError(
                f"The body has {len(parsed.body)} characters; at most {MAX_BODY_CHARACTERS}.",
                field="body",
            )
        owned = await services.database.read(
            lambda c: number_store.owns_number(c, principal.account_id, parsed.to)
        )
        if not owned:
            raise FromNotOwnedError(
                f"{parsed.to} is not a number of this account; a handset can text only your "
                "numbers here.",
                field="to",
            )
        largest = 0xFF if parsed.concatenation == "udh8" else 0xFFFF
        if parsed.reference is not None and not 0 <= parsed.reference <= largest:
            raise InvalidParameterError(
                f"reference is {parsed.reference}; give 0 to {largest}.", field="reference"
            )
        try:
            statuses = await simulator.send_inbound(
                sender,
                parsed.to,
                parsed.body,
                parts=parsed.parts,
                reference=parsed.reference,
                concatenation=parsed.concatenation,
            )
        except ValueError as exc:
            raise InvalidParameterError(
                f"{exc}: name parts of the text by number, from 1 to its segment count.",
                field="parts",
            ) from None
        except TimeoutError:
            return problem(
                503,
                ErrorCode.UNREACHABLE,
                "The simulator has no gateway bound",
                "No gateway session is bound to the simulator to take the message; try again "
                "in a moment.",
            )
        body = {
            "from": sender,
            "to": parsed.to,
            "parts": len(statuses),
            "accepted": all(s == 0 for s in statuses),
        }
        return json_response(body, 202)

    @router.get("/handsets/{number}", summary="What a virtual handset received from you")
    async def handset(number: str, request: Request) -> Response:
        principal = await auth(request)
        received = simulator.handset(number)
        carrier_ids = [i for message in received for i in message.message_ids]

        def ours(connection: Connection) -> dict[str, str]:
            if not carrier_ids:
                return {}
            rows = connection.execute(
                select(message_parts.c.carrier_id, messages.c.id)
                .join(messages, messages.c.id == message_parts.c.message_id)
                .where(
                    message_parts.c.connector == SANDBOX_CONNECTOR,
                    message_parts.c.carrier_id.in_(carrier_ids),
                    messages.c.account_id == principal.account_id,
                )
            )
            return {row.carrier_id: row.id for row in rows}

        mine = await services.database.read(ours)
        texts: list[dict[str, Any]] = [
            {
                "from": message.sender,
                "body": message.text,
                "received_at": timestamp(message.at),
                "message_id": mine[message.message_ids[0]],
                "parts": len(message.message_ids),
            }
            for message in received
            if message.message_ids and message.message_ids[0] in mine
        ]
        return json_response({"number": number, "messages": texts})

    return router
