"""The writer alone: CPU per message for the store work of a message's whole life.

End to end, the writer process is what bounds the rate, and its figure moves with
everything else on the machine. This replays the same writes without the network, on a
fresh SQLite file, in batches shaped like the burst's: per round, 25 messages created (in
one batch with the previous round's last webhook attempts), claimed, sent (their
submit_sm_resp outcomes, with the attempts of their `sending` webhooks) and delivered
(their receipts, with the attempts of their `sent` webhooks). As in the gateway, each
webhook is handed to the sender by the change that makes it (`store.handoff`); any that
is not is claimed. It prints the writer thread's CPU time per message, and the rate that
CPU time alone would allow on one core.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from smsgate.domain.ids import AccountId, new_message_id
from smsgate.store.accounts import create_account, set_status_callback
from smsgate.store.database import Database, connect_writer
from smsgate.store.handoff import enable_webhook_handoff, take_handed
from smsgate.store.messages import CreateMessage, MessageRecord
from smsgate.store.queue import ClaimDue, RecordOutcome
from smsgate.store.receipts import ApplyReceipt
from smsgate.store.webhooks import ClaimWebhooks, DueWebhook, RecordWebhookAttempt
from smsgate.store.writer import commit_batch

PER_ROUND = 25
ROUNDS = int(os.environ.get("BENCH_WRITER_ROUNDS", "400"))
LEASE = timedelta(seconds=60)


def record(account_id: str, now: datetime) -> MessageRecord:
    return MessageRecord(
        id=new_message_id(),
        account_id=AccountId(account_id),
        direction="outbound-api",
        to="+14155552671",
        from_="+14155550100",
        body="Your code is 123456",
        status="queued",
        encoding="GSM-7",
        segments=1,
        price="0.0079",
        price_unit="USD",
        country="US",
        is_test=False,
        status_callback=None,
        validity_period=14_400,
        expires_at=now + timedelta(hours=4),
        attempt=0,
        error_code=None,
        error_message=None,
        created_at=now,
        updated_at=now,
    )


def instants(count: int) -> list[datetime]:
    return [datetime.now(UTC) for _ in range(count)]


def answered(due: list[DueWebhook]) -> list[RecordWebhookAttempt]:
    """Each webhook's first attempt, answered 204 in 3 ms."""
    return [
        RecordWebhookAttempt(
            w.id, w.account_id, w.url, w.attempt, datetime.now(UTC), "delivered", 3, 204
        )
        for w in due
    ]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="smsgate-writer-") as tmp:
        database = Database.from_url(f"sqlite:///{Path(tmp) / 'bench.db'}")
        database.migrate()
        account = database.run_sync(lambda c: create_account(c, "bench"))
        database.run_sync(
            lambda c: set_status_callback(c, account.id, "https://hooks.example.com/x")
        )
        connection = connect_writer(database.engine)
        enable_webhook_handoff(connection, LEASE)
        carrier_id = 0
        attempts: list[RecordWebhookAttempt] = []
        busy = 0.0
        delivered = webhooks = 0
        # The last rounds create nothing and drain what is left.
        for round_ in range(ROUNDS + 3):
            # Each job its own instant, as each request, receipt and answer has end to end.
            creates = [
                CreateMessage(record(account.id, at), at, refuse_opted_out=True)
                for at in instants(PER_ROUND if round_ < ROUNDS else 0)
            ]
            started = time.thread_time()
            commit_batch(connection, [*creates, *attempts])
            [claimed] = commit_batch(connection, [ClaimDue(datetime.now(UTC), LEASE, PER_ROUND)])
            handed = take_handed(connection)
            outcomes = []
            for message in claimed:
                carrier_id += 1
                outcomes.append(
                    RecordOutcome(
                        message.id,
                        message.attempt,
                        "sent",
                        datetime.now(UTC),
                        "sim",
                        (f"{carrier_id:x}",),
                    )
                )
            receipts = [
                ApplyReceipt("sim", f"{n:x}", "DELIVRD", "000", datetime.now(UTC))
                for n in range(carrier_id - len(outcomes) + 1, carrier_id + 1)
            ]
            webhooks += len(handed)
            commit_batch(connection, [*outcomes, *answered(handed)])
            handed = take_handed(connection)
            webhooks += len(handed)
            applied = commit_batch(connection, [*receipts, *answered(handed)])
            delivered += applied.count("applied")
            claim = ClaimWebhooks(datetime.now(UTC), LEASE, 4 * PER_ROUND)
            [due] = commit_batch(connection, [claim])
            due += take_handed(connection)
            attempts = answered(due)
            webhooks += len(due)
            busy += time.thread_time() - started
        commit_batch(connection, attempts)
        connection.close()
        database.dispose()
    messages = ROUNDS * PER_ROUND
    if delivered != messages or webhooks != 3 * messages:
        sys.exit(f"the replay went wrong: {delivered} delivered, {webhooks} webhooks")
    per_message = busy / messages
    print("\n## the writer alone (bench/writer.py): store work of a message's whole life")
    print(f"{messages:,} messages, {webhooks:,} webhooks, in rounds of {PER_ROUND}")
    print(
        f"writer CPU         {per_message * 1e6:,.0f} µs per message "
        f"({1 / per_message:,.0f} messages/s on one core)"
    )


if __name__ == "__main__":
    main()
