"""The webhook outbox: events written with the change that causes them, then delivered.

A status change and its webhook row commit in one transaction, so a crash between the two
cannot lose the webhook. The sender claims due rows under a lease, as the dispatcher does
for messages, and holds back a message's later event for an endpoint while an earlier one
for the same endpoint is still on its way: a receiver never sees `delivered` before `sent`.
Where the writer hands webhooks to this node's sender (`store.handoff`), a new row with
nothing earlier to wait for goes in already leased and needs no claim.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal

import msgspec
from sqlalchemy import Connection, and_, bindparam, exists, null, or_, select, update
from sqlalchemy.orm import aliased

from smsgate.domain.ids import new_webhook_delivery_id
from smsgate.domain.times import iso_timestamp
from smsgate.store.handoff import hand_off, webhook_handoff_lease
from smsgate.store.messages import MessageRecord, record_from_row
from smsgate.store.pickling import pickled_by_fields
from smsgate.store.prepared import Prepared, any_of
from smsgate.store.schema import (
    accounts,
    disabled_webhook_urls,
    messages,
    numbers,
    webhook_attempts,
    webhook_deliveries,
)
from smsgate.webhooks.events import MESSAGE_RECEIVED, MESSAGE_STATUS, event_body

# A delivery in one of these may still be sent; any other state is final.
UNFINISHED = ("pending", "delivering")


@dataclass(frozen=True, slots=True)
class StatusChange:
    message_id: str
    status: str
    at: datetime
    error_code: int | None = None
    detail: str | None = None


def enqueue_status_webhooks(connection: Connection, changes: Sequence[StatusChange]) -> int:
    """Queue a `message.status` event per change whose message has somewhere to send it:
    its own status_callback, else its sending number's, else its account's. Returns how
    many were queued."""
    if not changes:
        return 0
    found = {
        row.id: row
        for row in _STATUS_TARGETS.rows(
            connection, {"ids": list({change.message_id for change in changes})}
        )
    }
    until = _handoff_until(connection)
    queued: set[str] = set()
    rows = []
    for change in changes:
        message = found.get(change.message_id)
        if message is None:
            continue
        url = message.status_callback or message.number_callback or message.account_callback
        if not url:
            continue
        event = {
            "status": change.status,
            "at": iso_timestamp(change.at),
            "error_code": change.error_code,
            "detail": change.detail,
        }
        row = _delivery_row(
            message.account_id,
            message.id,
            MESSAGE_STATUS,
            event,
            url,
            change.at,
            event_body(MESSAGE_STATUS, event, message),
        )
        # Handed over only with nothing earlier of its message unfinished (this one's
        # earlier changes included) and no endpoint of its account disabled, which
        # the claimed way records. Either test may hold back a little more than it must.
        if until is not None and not (
            message.unfinished or message.any_disabled or message.id in queued
        ):
            _hand_over(connection, row, until)
        queued.add(message.id)
        rows.append(row)
    _INSERT_DELIVERY.executemany(connection, rows)
    return len(rows)


def _handoff_until(connection: Connection) -> datetime | None:
    """Where status changes hand webhooks to this node: the end of the lease of the ones
    they hand, counted from now (an event's own time may be older)."""
    lease = webhook_handoff_lease(connection)
    # One lease for the lot, and so one timestamp to write (each costs several µs).
    return None if lease is None else datetime.now(UTC) + lease


def _hand_over(connection: Connection, row: dict[str, Any], until: datetime) -> None:
    """Lease a new delivery row to this node and hand it to its sender (`store.handoff`)."""
    row.update(state="delivering", attempts=1, lease_until=until)
    hand_off(
        connection,
        DueWebhook(
            row["id"],
            row["account_id"],
            row["message_id"],
            row["event_type"],
            row["payload"],
            row["url"],
            1,
            row["created_at"],
            False,
        ),
    )


# Where each message's status webhooks go, what their bodies tell of it, and whether one
# may be handed over.
_earlier = aliased(webhook_deliveries)
_STATUS_TARGETS = Prepared(
    select(
        messages.c.id,
        messages.c.account_id,
        messages.c.direction,
        messages.c.from_sender.label("from_"),
        messages.c.to_number.label("to"),
        null().label("body"),  # a status event does not repeat the text
        messages.c.encoding,
        messages.c.segments,
        messages.c.price,
        messages.c.price_unit,
        messages.c.created_at,
        null().label("keyword"),
        null().label("partial"),
        messages.c.status_callback,
        numbers.c.status_callback.label("number_callback"),
        accounts.c.status_callback.label("account_callback"),
        exists()
        .where(
            _earlier.c.message_id == messages.c.id,
            or_(*(_earlier.c.state == state for state in UNFINISHED)),
        )
        .label("unfinished"),
        exists()
        .where(disabled_webhook_urls.c.account_id == messages.c.account_id)
        .label("any_disabled"),
    )
    .join(accounts, accounts.c.id == messages.c.account_id)
    .outerjoin(
        numbers,
        and_(
            numbers.c.e164 == messages.c.from_sender,
            numbers.c.account_id == messages.c.account_id,
        ),
    )
    .where(any_of(messages.c.id, "ids"))
)


def _delivery_row(
    account_id: str,
    message_id: str,
    event_type: str,
    event: dict[str, Any],
    url: str,
    at: datetime,
    payload: str,
) -> dict[str, Any]:
    return {
        "id": new_webhook_delivery_id(),
        "account_id": account_id,
        "message_id": message_id,
        "event_type": event_type,
        "event": msgspec.json.encode(event).decode(),
        "url": url,
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": at,
        "created_at": at,
        "updated_at": at,
        "payload": payload,
        "lease_until": None,
    }


_INSERT_DELIVERY = Prepared(webhook_deliveries.insert())


def enqueue_received_webhook(connection: Connection, message: MessageRecord, url: str) -> None:
    """Queue the `message.received` event of an inbound message for its number's URL."""
    at = message.created_at
    event = {
        "status": message.status,
        "at": iso_timestamp(at),
        "error_code": None,
        "detail": message.error_message,
    }
    body = event_body(MESSAGE_RECEIVED, event, message)
    row = _delivery_row(message.account_id, message.id, MESSAGE_RECEIVED, event, url, at, body)
    until = _handoff_until(connection)
    # A new message has no earlier event to wait for.
    if until is not None and not is_disabled(connection, message.account_id, url):
        _hand_over(connection, row, until)
    _INSERT_DELIVERY.execute(connection, row)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class DueWebhook:
    id: str
    account_id: str
    message_id: str
    event_type: str
    body: str
    url: str
    attempt: int
    created_at: datetime
    disabled: bool


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ClaimWebhooks:
    """Claim up to `limit` due deliveries, each the oldest unfinished one of its message
    and endpoint, under a lease (an expired lease makes a delivery due again)."""

    now: datetime
    lease: timedelta
    limit: int

    def run(self, connection: Connection) -> list[DueWebhook]:
        # Expired leases first, then due deliveries in the order of the due index: two
        # queries, so that each stops at `limit` instead of sorting the whole backlog.
        rows = _CLAIM_EXPIRED.rows(connection, {"now": self.now, "limit": self.limit})
        if len(rows) < self.limit:
            rows += _CLAIM_DUE.rows(connection, {"now": self.now, "limit": self.limit - len(rows)})
        if not rows:
            return []
        _TAKE_LEASE.execute(
            connection,
            {
                "ids": [row.id for row in rows],
                "lease_until": self.now + self.lease,
                "now": self.now,
            },
        )
        bodies = _render_unrendered(connection, [row.id for row in rows if row.payload is None])
        return [
            DueWebhook(
                row.id,
                row.account_id,
                row.message_id,
                row.event_type,
                row.payload if row.payload is not None else bodies[row.id],
                row.url,
                row.attempts + 1,
                row.created_at,
                row.disabled_at is not None,
            )
            for row in rows
        ]


def _claim_query(*where: Any, order_by: Sequence[Any]) -> Any:
    d = webhook_deliveries
    earlier = aliased(webhook_deliveries)
    blocked = exists().where(
        earlier.c.message_id == d.c.message_id,
        earlier.c.url == d.c.url,
        earlier.c.seq < d.c.seq,
        or_(*(earlier.c.state == state for state in UNFINISHED)),
    )
    # Whether the endpoint is disabled comes with the claim, so the sender needs no read
    # of its own per webhook.
    off = disabled_webhook_urls
    return (
        select(
            d.c.id,
            d.c.account_id,
            d.c.message_id,
            d.c.event_type,
            d.c.payload,
            d.c.url,
            d.c.attempts,
            d.c.created_at,
            off.c.disabled_at,
        )
        .outerjoin(off, and_(off.c.account_id == d.c.account_id, off.c.url == d.c.url))
        .where(*where, ~blocked)
        .order_by(*order_by)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True, of=d)
    )


_CLAIM_EXPIRED = Prepared(
    _claim_query(
        webhook_deliveries.c.state == "delivering",
        webhook_deliveries.c.lease_until < bindparam("now"),
        order_by=[webhook_deliveries.c.seq],
    )
)
_CLAIM_DUE = Prepared(
    _claim_query(
        webhook_deliveries.c.state == "pending",
        webhook_deliveries.c.next_attempt_at <= bindparam("now"),
        order_by=[webhook_deliveries.c.next_attempt_at, webhook_deliveries.c.seq],
    )
)
_TAKE_LEASE = Prepared(
    update(webhook_deliveries)
    .where(any_of(webhook_deliveries.c.id, "ids"))
    .values(
        state="delivering",
        attempts=webhook_deliveries.c.attempts + 1,
        lease_until=bindparam("lease_until"),
        updated_at=bindparam("now"),
    )
)


@dataclass(frozen=True, slots=True)
class ReleaseWebhooks:
    """Give handed deliveries back to the outbox unsent, for a claim (by any node): their
    node's sender had no free slot for them, or had stopped."""

    ids: tuple[str, ...]
    now: datetime

    def run(self, connection: Connection) -> int:
        return _RELEASE.execute(connection, {"ids": list(self.ids), "now": self.now})


_RELEASE = Prepared(
    update(webhook_deliveries)
    .where(
        any_of(webhook_deliveries.c.id, "ids"),
        webhook_deliveries.c.state == "delivering",
        webhook_deliveries.c.attempts == 1,  # not claimed since by another node
    )
    .values(
        state="pending",
        attempts=webhook_deliveries.c.attempts - 1,  # handed over, never attempted
        lease_until=None,
        updated_at=bindparam("now"),
    )
)


def _render_unrendered(connection: Connection, delivery_ids: Sequence[str]) -> dict[str, str]:
    """Bodies for deliveries queued before their body was kept with them (revision 0008):
    rendered from the message as it is now."""
    if not delivery_ids:
        return {}
    d = webhook_deliveries
    rows = connection.execute(
        select(d.c.id.label("delivery_id"), d.c.event_type, d.c.event, messages)
        .join(messages, messages.c.id == d.c.message_id)
        .where(d.c.id.in_(delivery_ids))
    )
    return {
        row.delivery_id: event_body(row.event_type, json.loads(row.event), record_from_row(row))
        for row in rows
    }


Outcome = Literal["delivered", "retry", "failed", "disabled"]


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class RecordWebhookAttempt:
    """Log one attempt and move its delivery on. `disabled` (410 Gone) also stops every
    other pending delivery to that endpoint."""

    # Before the status changes of its batch: a delivery that finished no longer holds back
    # the next event of its message, which can then be handed off instead of claimed.
    runs_first: ClassVar[bool] = True

    delivery_id: str
    account_id: str
    url: str
    attempt: int
    at: datetime
    outcome: Outcome
    latency_ms: int
    status_code: int | None = None
    response_excerpt: str | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None

    def run(self, connection: Connection) -> bool:
        return bool(RecordWebhookAttempt.run_batch(connection, [self])[0])

    @classmethod
    def run_batch(cls, connection: Connection, jobs: Sequence[RecordWebhookAttempt]) -> list[Any]:
        _INSERT_ATTEMPT.executemany(connection, [job._attempt_row() for job in jobs])
        # Only the holder of the current attempt moves the delivery on (its lease may have
        # expired and another attempt begun).
        current = {
            row.id: row.attempts
            for row in _DELIVERING.rows(connection, {"ids": list({j.delivery_id for j in jobs})})
        }
        moved = [job for job in jobs if current.pop(job.delivery_id, None) == job.attempt]
        _MOVE_DELIVERY.executemany(connection, [job._move_values() for job in moved])
        for job in moved:
            if job.outcome == "disabled":
                disable_url(connection, job.account_id, job.url, job.at)
        moved_ids = {job.delivery_id for job in moved}
        return [job.delivery_id in moved_ids for job in jobs]

    def _attempt_row(self) -> dict[str, Any]:
        return {
            "delivery_id": self.delivery_id,
            "attempt": self.attempt,
            "at": self.at,
            "status_code": self.status_code,
            "latency_ms": self.latency_ms,
            "response_excerpt": self.response_excerpt,
            "error": self.error,
        }

    def _move_values(self) -> dict[str, Any]:
        return {
            "b_id": self.delivery_id,
            "b_state": "pending" if self.outcome == "retry" else self.outcome,
            "b_next": self.next_attempt_at,
            "b_code": self.status_code,
            "b_error": self.error,
            "b_at": self.at,
        }


_INSERT_ATTEMPT = Prepared(webhook_attempts.insert())
_DELIVERING = Prepared(
    select(webhook_deliveries.c.id, webhook_deliveries.c.attempts).where(
        any_of(webhook_deliveries.c.id, "ids"), webhook_deliveries.c.state == "delivering"
    )
)
_MOVE_DELIVERY = Prepared(
    update(webhook_deliveries)
    .where(webhook_deliveries.c.id == bindparam("b_id"))
    .values(
        state=bindparam("b_state"),
        next_attempt_at=bindparam("b_next"),
        lease_until=None,
        last_status_code=bindparam("b_code"),
        last_error=bindparam("b_error"),
        updated_at=bindparam("b_at"),
    )
)


def disable_url(connection: Connection, account_id: str, url: str, at: datetime) -> None:
    exists_already = connection.execute(
        select(disabled_webhook_urls.c.url).where(
            disabled_webhook_urls.c.account_id == account_id, disabled_webhook_urls.c.url == url
        )
    ).first()
    if exists_already is None:
        connection.execute(
            disabled_webhook_urls.insert().values(account_id=account_id, url=url, disabled_at=at)
        )
    connection.execute(
        update(webhook_deliveries)
        .where(
            webhook_deliveries.c.account_id == account_id,
            webhook_deliveries.c.url == url,
            webhook_deliveries.c.state == "pending",
        )
        .values(state="disabled", last_error="The endpoint answered 410 Gone.", updated_at=at)
    )


def is_disabled(connection: Connection, account_id: str, url: str) -> bool:
    return (
        connection.execute(
            select(disabled_webhook_urls.c.url).where(
                disabled_webhook_urls.c.account_id == account_id,
                disabled_webhook_urls.c.url == url,
            )
        ).first()
        is not None
    )


def enable_url(connection: Connection, account_id: str, url: str) -> None:
    """Setting a URL again is how its owner says it works again after a 410."""
    connection.execute(
        disabled_webhook_urls.delete().where(
            disabled_webhook_urls.c.account_id == account_id, disabled_webhook_urls.c.url == url
        )
    )


@dataclass(frozen=True, slots=True)
class WebhookAttempt:
    attempt: int
    at: datetime
    status_code: int | None
    latency_ms: int
    response_excerpt: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    id: str
    message_id: str
    event_type: str
    event: dict[str, Any]
    url: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    log: tuple[WebhookAttempt, ...] = ()


def _delivery(row: Any, log: tuple[WebhookAttempt, ...] = ()) -> WebhookDelivery:
    return WebhookDelivery(
        row.id,
        row.message_id,
        row.event_type,
        json.loads(row.event),
        row.url,
        row.state,
        row.attempts,
        row.next_attempt_at,
        row.last_status_code,
        row.last_error,
        row.created_at,
        row.updated_at,
        log,
    )


def list_deliveries(
    connection: Connection,
    account_id: str,
    *,
    message_id: str | None,
    state: str | None,
    limit: int,
    before_seq: int | None,
) -> tuple[list[WebhookDelivery], int | None]:
    """One page of the account's deliveries, newest first, each with its attempts; and the
    seq to continue from, if there is more."""
    d = webhook_deliveries
    query = select(d).where(d.c.account_id == account_id)
    if message_id is not None:
        query = query.where(d.c.message_id == message_id)
    if state is not None:
        query = query.where(d.c.state == state)
    if before_seq is not None:
        query = query.where(d.c.seq < before_seq)
    rows = connection.execute(query.order_by(d.c.seq.desc()).limit(limit + 1)).all()
    more = rows[limit - 1].seq if len(rows) > limit else None
    rows = rows[:limit]
    attempts: dict[str, list[WebhookAttempt]] = {row.id: [] for row in rows}
    if rows:
        for a in connection.execute(
            select(webhook_attempts)
            .where(webhook_attempts.c.delivery_id.in_(list(attempts)))
            .order_by(webhook_attempts.c.seq)
        ):
            attempts[a.delivery_id].append(
                WebhookAttempt(
                    a.attempt, a.at, a.status_code, a.latency_ms, a.response_excerpt, a.error
                )
            )
    return [_delivery(row, tuple(attempts[row.id])) for row in rows], more


@dataclass(frozen=True, slots=True)
class Redeliver:
    """Queue a delivered, failed or disabled event again, as a new delivery."""

    account_id: str
    delivery_id: str
    now: datetime

    def run(self, connection: Connection) -> WebhookDelivery | None:
        d = webhook_deliveries
        row = connection.execute(
            select(d).where(d.c.id == self.delivery_id, d.c.account_id == self.account_id)
        ).first()
        if row is None:
            return None
        new_id = new_webhook_delivery_id()
        connection.execute(
            d.insert().values(
                id=new_id,
                account_id=row.account_id,
                message_id=row.message_id,
                event_type=row.event_type,
                event=row.event,
                payload=row.payload,
                url=row.url,
                state="pending",
                attempts=0,
                next_attempt_at=self.now,
                created_at=self.now,
                updated_at=self.now,
            )
        )
        enable_url(connection, row.account_id, row.url)
        created = connection.execute(select(d).where(d.c.id == new_id)).one()
        return _delivery(created)
