"""Turning a send request into what will be sent: destination, sender, segments, price.

Pure: the caller checks number ownership against the store. The same function serves
`POST /v1/messages` and `POST /v1/messages/preview`, so a preview never disagrees with a send.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from smsgate.domain.encoding import EncodedBody, analyse
from smsgate.domain.phone import Destination, parse_destination
from smsgate.domain.pricing import PriceTable
from smsgate.domain.sender import Sender, parse_sender
from smsgate.errors import BodyTooLongError, EmptyBodyError, InvalidParameterError

MAX_BODY_CHARACTERS = 1600
MAX_VALIDITY_PERIOD = 36_000


@dataclass(frozen=True, slots=True)
class MessagePlan:
    destination: Destination
    sender: Sender
    encoded: EncodedBody
    price: Decimal
    price_unit: str
    validity_period: int
    smart_encoding: bool


def plan_message(
    *,
    to: str,
    from_: str,
    body: str,
    validity_period: int | None,
    default_validity_period: int,
    smart_encoding: bool,
    prices: PriceTable,
) -> MessagePlan:
    """Validate a send request and work out its segments and price.

    Raises the ValidationError subclass for the first problem found, in the order a
    person would fix them: to, from, body, validity_period.
    """
    destination = parse_destination(to)
    sender = parse_sender(from_)
    if not body:
        raise EmptyBodyError("The message body is empty; give the text to send.", field="body")
    if len(body) > MAX_BODY_CHARACTERS:
        raise BodyTooLongError(
            f"The body has {len(body)} characters; the most one message can carry is "
            f"{MAX_BODY_CHARACTERS}. Shorten it or send it as several messages.",
            field="body",
        )
    try:
        encoded = analyse(body, smart=smart_encoding)
    except ValueError as exc:  # a lone UTF-16 surrogate has no encoding at all
        raise InvalidParameterError(f"The body cannot be sent: {exc}.", field="body") from None
    if not encoded.segments:
        raise EmptyBodyError(
            "The body holds only invisible characters; give the text to send.", field="body"
        )
    if validity_period is None:
        validity_period = default_validity_period
    elif not 1 <= validity_period <= MAX_VALIDITY_PERIOD:
        raise InvalidParameterError(
            f"validity_period is {validity_period}; give a number of seconds from 1 to "
            f"{MAX_VALIDITY_PERIOD} (10 hours).",
            field="validity_period",
        )
    return MessagePlan(
        destination=destination,
        sender=sender,
        encoded=encoded,
        price=prices.price(destination.country, len(encoded.segments)),
        price_unit=prices.currency,
        validity_period=validity_period,
        smart_encoding=smart_encoding,
    )
