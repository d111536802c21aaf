"""What the gateway answers, as frozen dataclasses.

Each `from_json` reads the fields it knows and ignores the rest, so a newer gateway that
adds fields does not break an older SDK; the answer as received stays in `.raw`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

NumberType = Literal["long_code", "toll_free", "short_code", "alphanumeric"]


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _items(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


@dataclass(frozen=True, slots=True)
class MessageWarning:
    """Something about a message worth knowing that did not stop it (e.g. a quiet-hours hint)."""

    code: str
    detail: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MessageWarning:
        return cls(code=str(data.get("code", "")), detail=str(data.get("detail", "")))


def _warnings(value: Any) -> tuple[MessageWarning, ...]:
    return tuple(MessageWarning.from_json(item) for item in _items(value))


@dataclass(frozen=True, slots=True)
class MessageEvent:
    """One step of a message's history: a status, when, and why."""

    status: str
    at: datetime | None
    attempt: int | None
    error_code: int | None
    detail: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MessageEvent:
        return cls(
            status=str(data.get("status", "")),
            at=_time(data.get("at")),
            attempt=_int(data.get("attempt")),
            error_code=_int(data.get("error_code")),
            detail=_str(data.get("detail")),
        )


@dataclass(frozen=True, slots=True)
class Message:
    """A message, sent or received. `status` moves queued → sending → sent → delivered (or
    undelivered/failed); `events` is its history when the gateway includes it."""

    id: str
    to: str
    from_: str
    body: str | None
    status: str
    direction: str
    encoding: str | None
    segments: int | None
    price: Decimal | None
    price_unit: str | None
    error_code: int | None
    error_message: str | None
    status_callback: str | None
    validity_period: int | None
    send_at: datetime | None
    created_at: datetime | None
    updated_at: datetime | None
    account_id: str | None
    test: bool | None
    attempts: int | None
    events: tuple[MessageEvent, ...]
    warnings: tuple[MessageWarning, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Message:
        test = data.get("test")
        return cls(
            id=str(data.get("id", "")),
            to=str(data.get("to", "")),
            from_=str(data.get("from", "")),
            body=_str(data.get("body")),
            status=str(data.get("status", "")),
            direction=str(data.get("direction", "")),
            encoding=_str(data.get("encoding")),
            segments=_int(data.get("segments")),
            price=_decimal(data.get("price")),
            price_unit=_str(data.get("price_unit")),
            error_code=_int(data.get("error_code")),
            error_message=_str(data.get("error_message")),
            status_callback=_str(data.get("status_callback")),
            validity_period=_int(data.get("validity_period")),
            send_at=_time(data.get("send_at")),
            created_at=_time(data.get("created_at")),
            updated_at=_time(data.get("updated_at")),
            account_id=_str(data.get("account_id")),
            test=test if isinstance(test, bool) else None,
            attempts=_int(data.get("attempts")),
            events=tuple(MessageEvent.from_json(e) for e in _items(data.get("events"))),
            warnings=_warnings(data.get("warnings")),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class Preview:
    """What a message would be, without sending it: encoding, segments and price."""

    to: str
    from_: str
    body: str
    encoding: str
    segments: int
    parts: tuple[str, ...]
    characters: int | None
    price: Decimal | None
    price_unit: str | None
    country: str | None
    validity_period: int | None
    warnings: tuple[MessageWarning, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Preview:
        parts = data.get("parts")
        return cls(
            to=str(data.get("to", "")),
            from_=str(data.get("from", "")),
            body=str(data.get("body", "")),
            encoding=str(data.get("encoding", "")),
            segments=_int(data.get("segments")) or 0,
            parts=tuple(str(p) for p in parts) if isinstance(parts, list) else (),
            characters=_int(data.get("characters")),
            price=_decimal(data.get("price")),
            price_unit=_str(data.get("price_unit")),
            country=_str(data.get("country")),
            validity_period=_int(data.get("validity_period")),
            warnings=_warnings(data.get("warnings")),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class KeywordReplies:
    """The automatic answers to STOP, START and HELP on a number (None: the default)."""

    stop: str | None = None
    start: str | None = None
    help: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> KeywordReplies:
        if not isinstance(data, Mapping):
            return cls()
        return cls(_str(data.get("stop")), _str(data.get("start")), _str(data.get("help")))

    def to_json(self) -> dict[str, str | None]:
        return {"stop": self.stop, "start": self.start, "help": self.help}


@dataclass(frozen=True, slots=True)
class Number:
    """A sender of the account: long code, toll-free, short code or alphanumeric ID."""

    id: str
    number: str
    type: str
    mps: int | None
    inbound_url: str | None
    status_callback: str | None
    marketing: bool
    keyword_replies: KeywordReplies
    created_at: datetime | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Number:
        return cls(
            id=str(data.get("id", "")),
            number=str(data.get("number", "")),
            type=str(data.get("type", "")),
            mps=_int(data.get("mps")),
            inbound_url=_str(data.get("inbound_url")),
            status_callback=_str(data.get("status_callback")),
            marketing=bool(data.get("marketing", False)),
            keyword_replies=KeywordReplies.from_json(data.get("keyword_replies")),
            created_at=_time(data.get("created_at")),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class OptOut:
    """A recipient who said STOP: to one of the account's numbers, or (number None) to all."""

    phone: str
    number: str | None
    source: str
    created_at: datetime | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OptOut:
        return cls(
            phone=str(data.get("phone", "")),
            number=_str(data.get("number")),
            source=str(data.get("source", "")),
            created_at=_time(data.get("created_at")),
        )


@dataclass(frozen=True, slots=True)
class RejectedOptOut:
    row: int
    phone: str
    code: int | None
    detail: str


@dataclass(frozen=True, slots=True)
class OptOutImport:
    """The outcome of an import: new opt-outs, ones already there, and refused rows."""

    imported: int
    existing: int
    rejected: tuple[RejectedOptOut, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OptOutImport:
        return cls(
            imported=_int(data.get("imported")) or 0,
            existing=_int(data.get("existing")) or 0,
            rejected=tuple(
                RejectedOptOut(
                    row=_int(r.get("row")) or 0,
                    phone=str(r.get("phone", "")),
                    code=_int(r.get("code")),
                    detail=str(r.get("detail", "")),
                )
                for r in _items(data.get("rejected"))
            ),
        )


@dataclass(frozen=True, slots=True)
class UsageRow:
    """Messages, segments and spend for one day and destination country."""

    day: date | None
    country: str | None
    messages: int
    segments: int
    price: Decimal | None
    currency: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> UsageRow:
        day = data.get("day")
        try:
            parsed = date.fromisoformat(day) if isinstance(day, str) else None
        except ValueError:
            parsed = None
        return cls(
            day=parsed,
            country=_str(data.get("country")),
            messages=_int(data.get("messages")) or 0,
            segments=_int(data.get("segments")) or 0,
            price=_decimal(data.get("price")),
            currency=_str(data.get("currency")),
        )


@dataclass(frozen=True, slots=True)
class WhoAmI:
    account_id: str
    key_id: str
    mode: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WhoAmI:
        return cls(
            str(data.get("account_id", "")), str(data.get("key_id", "")), str(data.get("mode", ""))
        )


@dataclass(frozen=True, slots=True)
class Account:
    """The account: its default status webhook and the secret that signs its webhooks."""

    id: str
    name: str
    status_callback: str | None
    webhook_secret: str | None
    created_at: datetime | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Account:
        return cls(
            id=str(data.get("id", "")),
            name=str(data.get("name", "")),
            status_callback=_str(data.get("status_callback")),
            webhook_secret=_str(data.get("webhook_secret")),
            created_at=_time(data.get("created_at")),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class WebhookAttempt:
    attempt: int
    at: datetime | None
    status_code: int | None
    latency_ms: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One webhook event to one URL, with every attempt at delivering it."""

    id: str
    message_id: str | None
    type: str
    url: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    event: Mapping[str, Any]
    log: tuple[WebhookAttempt, ...]
    created_at: datetime | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WebhookDelivery:
        event = data.get("event")
        return cls(
            id=str(data.get("id", "")),
            message_id=_str(data.get("message_id")),
            type=str(data.get("type", "")),
            url=str(data.get("url", "")),
            status=str(data.get("status", "")),
            attempts=_int(data.get("attempts")) or 0,
            last_status_code=_int(data.get("last_status_code")),
            last_error=_str(data.get("last_error")),
            event=event if isinstance(event, Mapping) else {},
            log=tuple(
                WebhookAttempt(
                    attempt=_int(a.get("attempt")) or 0,
                    at=_time(a.get("at")),
                    status_code=_int(a.get("status_code")),
                    latency_ms=_int(a.get("latency_ms")),
                    error=_str(a.get("error")),
                )
                for a in _items(data.get("log"))
            ),
            created_at=_time(data.get("created_at")),
            raw=data,
        )


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """A verified webhook: `type` is `message.status` or `message.received`; `message` is
    the message as it stood at the event (its `status` is the event's)."""

    id: str
    type: str
    timestamp: datetime | None
    data: Mapping[str, Any]

    @property
    def message(self) -> Message:
        return Message.from_json(self.data)

    @classmethod
    def from_json(cls, webhook_id: str, data: Mapping[str, Any]) -> WebhookEvent:
        payload = data.get("data")
        return cls(
            id=webhook_id,
            type=str(data.get("type", "")),
            timestamp=_time(data.get("timestamp")),
            data=payload if isinstance(payload, Mapping) else {},
        )
