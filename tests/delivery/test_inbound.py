"""Inbound messages in the store: durable reassembly, keywords and replies, the timeout."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from smsgate.app import load_prices
from smsgate.config import load_settings
from smsgate.delivery.inbound import (
    FlushStaleParts,
    InboundOutcome,
    InboundPolicy,
    InboundSink,
    ReceivePart,
)
from smsgate.domain.encoding import analyse, segment_payloads
from smsgate.domain.ids import AccountId
from smsgate.smpp.addresses import TON_INTERNATIONAL
from smsgate.smpp.concat import Part
from smsgate.smpp.pdu import DeliverSm
from smsgate.store import accounts as account_store
from smsgate.store import inbound_parts as inbound_parts_store
from smsgate.store import numbers as number_store
from smsgate.store import opt_outs
from smsgate.store.database import Database
from smsgate.store.schema import inbound_parts, messages, webhook_deliveries
from smsgate.store.writer import GroupCommitWriter
from tests.smpp.test_concat import wire_part

NUMBER = "+15005550006"
_handsets = itertools.count(2000)


def policy(scope: str = "number", timeout: float = 60.0) -> InboundPolicy:
    return InboundPolicy(
        prices=load_prices(load_settings({})),
        opt_out_scope=scope,  # type: ignore[arg-type]
        reply_validity_period=3600,
        reassembly_timeout=timeout,
    )


def next_handset() -> str:
    return f"+1415555{next(_handsets):04d}"


@pytest.fixture
def account(database: Database) -> AccountId:
    def create(connection: object) -> AccountId:
        account = account_store.create_account(connection, "acme")  # type: ignore[arg-type]
        number_store.add_number(
            connection,  # type: ignore[arg-type]
            account.id,
            NUMBER,
            inbound_url="https://example.com/in",
            help_reply="Acme help: call 555-0100.",
        )
        return account.id

    return database.run_sync(create)


def receive(
    database: Database,
    sender: str,
    part: Part,
    *,
    data_coding: int = 0,
    at: datetime | None = None,
    rules: InboundPolicy | None = None,
) -> InboundOutcome:
    job = ReceivePart(
        rules or policy(),
        "sandbox",
        sender=sender,
        recipient=NUMBER,
        part=part,
        data_coding=data_coding,
        is_test=True,
        at=at or datetime.now(UTC),
    )
    return database.run_sync(job.run)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.sampled_from(["Thanks! 👍 " * 14, "Ünïcödé ✓ " * 21, "plain words " * 30]),
    data=st.data(),
)
def test_parts_in_any_order_with_repeats_make_one_message(
    database: Database, account: AccountId, text: str, data: st.DataObject
) -> None:
    encoded = analyse(text, smart=False)
    payloads = segment_payloads(encoded)
    total = len(payloads)
    assert total >= 2
    arrival = data.draw(st.permutations(range(1, total + 1)))
    arrival += data.draw(st.lists(st.sampled_from(arrival), max_size=2))
    sender = next_handset()
    reference = data.draw(st.integers(0, 0xFFFF))
    # Each part in its own transaction, as a gateway restarted between any two would see.
    outcomes = [
        receive(
            database,
            sender,
            Part(payloads[n - 1], reference, total, n),
            data_coding=0 if encoded.encoding.value == "GSM-7" else 8,
        )
        for n in arrival
    ]
    stored = [o for o in outcomes if o.result == "stored"]
    assert len(stored) == 1
    message = stored[0].message
    assert message is not None
    assert message.body == text
    assert message.segments == total
    assert not message.partial
    assert message.account_id == account
    assert {o.result for o in outcomes} <= {"stored", "part", "duplicate part"}
    # Nothing waits; the parts stay as markers, so a repeat after the end is no new message.
    with database.engine.connect() as connection:
        waiting = select(inbound_parts.c.seq).where(inbound_parts.c.delivered_at.is_(None))
        assert connection.execute(waiting).all() == []
    again = receive(database, sender, Part(payloads[0], reference, total, 1))
    assert again.result == "duplicate part"


def test_a_message_stores_and_queues_its_received_webhook(
    database: Database, account: AccountId
) -> None:
    outcome = receive(database, next_handset(), Part(b"Hello"))
    assert outcome.result == "stored"
    assert outcome.reply is None
    with database.engine.connect() as connection:
        (row,) = connection.execute(select(webhook_deliveries)).all()
    assert row.event_type == "message.received"
    assert row.url == "https://example.com/in"
    assert row.message_id == outcome.message.id  # type: ignore[union-attr]


def test_a_message_to_no_ones_number_is_dropped(database: Database, account: AccountId) -> None:
    job = ReceivePart(
        policy(),
        "sandbox",
        sender=next_handset(),
        recipient="+15005550009",
        part=Part(b"hi"),
        data_coding=0,
        is_test=True,
        at=datetime.now(UTC),
    )
    assert database.run_sync(job.run).result == "unknown number"
    with database.engine.connect() as connection:
        assert connection.execute(select(messages.c.id)).all() == []


def test_missing_parts_are_delivered_flagged_after_the_timeout(
    database: Database, account: AccountId
) -> None:
    sender = next_handset()
    long_ago = datetime.now(UTC) - timedelta(seconds=120)
    assert receive(database, sender, Part(b"first ", 9, 3, 1), at=long_ago).result == "part"
    assert receive(database, sender, Part(b"third", 9, 3, 3), at=long_ago).result == "part"
    fresh = next_handset()
    assert receive(database, fresh, Part(b"not yet", 9, 2, 1)).result == "part"

    (outcome,) = database.run_sync(
        FlushStaleParts(policy(timeout=60), frozenset({"sandbox"}), datetime.now(UTC)).run
    )
    message = outcome.message
    assert message is not None
    assert (message.body, message.partial, message.segments) == ("first third", True, 3)
    assert message.error_message == (
        "Only part(s) 1, 3 of 3 arrived within 60 s; the body is what arrived."
    )
    assert message.is_test
    # The fresh message's part waits on; a late part of the flushed one is a repeat.
    waiting = select(inbound_parts.c.sender).where(inbound_parts.c.delivered_at.is_(None))
    with database.engine.connect() as connection:
        assert [r.sender for r in connection.execute(waiting)] == [fresh]
    assert receive(database, sender, Part(b"third", 9, 3, 3)).result == "duplicate part"
    # Markers go once the timeout has passed again.
    later = datetime.now(UTC) + timedelta(seconds=120)
    (fresh_outcome,) = database.run_sync(
        FlushStaleParts(policy(timeout=60), frozenset({"sandbox"}), later).run
    )
    assert fresh_outcome.message is not None
    assert fresh_outcome.message.from_ == fresh
    with database.engine.connect() as connection:
        left = connection.execute(select(inbound_parts.c.sender)).all()
    assert [r.sender for r in left] == [fresh]


@pytest.mark.parametrize("scope", ["number", "account"])
def test_stop_opts_out_and_queues_a_confirmation_start_reverses_it(
    database: Database, account: AccountId, scope: str
) -> None:
    handset = next_handset()
    rules = policy(scope)
    stop = receive(database, handset, Part(b" Stop. "), rules=rules)
    assert stop.message is not None
    assert stop.message.keyword == "stop"
    assert stop.reply is not None
    assert (stop.reply.to, stop.reply.from_, stop.reply.status) == (handset, NUMBER, "queued")
    assert "unsubscribed" in stop.reply.body
    expected = NUMBER if scope == "number" else None
    found, _ = database.run_sync(lambda c: opt_outs.list_opt_outs(c, account))
    assert [(e.phone, e.number, e.source) for e in found] == [(handset, expected, "keyword")]
    assert database.run_sync(lambda c: opt_outs.is_opted_out(c, account, handset, NUMBER))

    start = receive(database, handset, Part(b"START"), rules=rules)
    assert start.reply is not None
    assert "subscribed again" in start.reply.body
    assert not database.run_sync(lambda c: opt_outs.is_opted_out(c, account, handset, NUMBER))
    events, _ = database.run_sync(
        lambda c: opt_outs.list_opt_out_events(c, account, limit=10, cursor=None)
    )
    assert [(e.action, e.source) for e in events] == [
        ("opt_out", "keyword"),
        ("opt_in", "keyword"),
    ]


def test_help_answers_with_the_numbers_text_and_changes_nothing(
    database: Database, account: AccountId
) -> None:
    outcome = receive(database, next_handset(), Part(b"help"))
    assert outcome.reply is not None
    assert outcome.reply.body == "Acme help: call 555-0100."
    found, _ = database.run_sync(lambda c: opt_outs.list_opt_outs(c, account))
    assert found == []


def test_stop_inside_a_sentence_is_an_ordinary_message(
    database: Database, account: AccountId
) -> None:
    outcome = receive(database, next_handset(), Part(b"STOP PLEASE"))
    assert outcome.message is not None
    assert outcome.message.keyword is None
    assert outcome.reply is None


def test_a_whole_message_left_waiting_is_delivered_by_the_sweep(
    database: Database, account: AccountId
) -> None:
    # Two processes that each store one of the last parts at once can each see the other's
    # as missing; the rows are then all there but nobody delivered them.
    sender = next_handset()
    now = datetime.now(UTC)
    for seqnum, text in ((1, b"both "), (2, b"halves")):
        database.run_sync(
            lambda c, n=seqnum, t=text: inbound_parts_store.add_part(
                c,
                inbound_parts_store.PartGroup("sandbox", sender, NUMBER, 5, 2),
                seqnum=n,
                data_coding=0,
                payload=t,
                at=now,
            )
        )
    (outcome,) = database.run_sync(
        FlushStaleParts(policy(timeout=60), frozenset({"sandbox"}), now).run
    )
    assert outcome.message is not None
    assert (outcome.message.body, outcome.message.partial) == ("both halves", False)


@pytest.mark.parametrize("scheme", ["udh16", "sar"])
def test_the_sink_joins_deliver_sm_parts_of_each_scheme(
    database: Database, account: AccountId, scheme: str
) -> None:
    text = "Ünïcödé ✓ 👍 " * 12
    payloads = segment_payloads(analyse(text, smart=False))
    handset = next_handset()
    replies: list[None] = []

    def pdu(seqnum: int) -> DeliverSm:
        payload = payloads[seqnum - 1]
        short_message, esm_class, tlvs = wire_part(scheme, payload, 0x1234, len(payloads), seqnum)
        return DeliverSm(
            sequence_number=seqnum,
            source_addr_ton=TON_INTERNATIONAL,
            source_addr=handset.removeprefix("+"),
            dest_addr_ton=TON_INTERNATIONAL,
            destination_addr=NUMBER.removeprefix("+"),
            esm_class=esm_class,
            data_coding=8,
            short_message=short_message,
            tlvs=tlvs,
        )

    async def deliver_all() -> dict[str, int]:
        writer = GroupCommitWriter(database.engine)
        writer.start()
        sink = InboundSink(
            writer,
            policy(),
            test_connectors=frozenset({"sandbox"}),
            on_reply=lambda: replies.append(None),
        )
        try:
            for seqnum in reversed(range(1, len(payloads) + 1)):
                await sink("sandbox", pdu(seqnum))
        finally:
            await writer.aclose()
        return dict(sink.results)

    assert asyncio.run(deliver_all()) == {"part": len(payloads) - 1, "stored": 1}
    with database.engine.connect() as connection:
        (row,) = connection.execute(select(messages).where(messages.c.from_sender == handset))
    assert (row.body, row.encoding, row.segments) == (text, "UCS-2", len(payloads))
    assert replies == []
