"""Balances in the store: debits with message creation, refunds only for messages that
cannot have reached a carrier."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from smsgate.domain.ids import AccountId
from smsgate.errors import InsufficientBalanceError
from smsgate.store import accounts as account_store
from smsgate.store.balances import change_balance, get_balance, refund_unsent
from smsgate.store.database import Database
from smsgate.store.messages import CreateMessage, find_message
from smsgate.store.queue import ClaimDue
from smsgate.store.schema import messages
from tests.conftest import new_record

PRICE = 7_900
LEASE = timedelta(seconds=60)


def funded_account(database: Database, micros: int) -> AccountId:
    account = database.run_sync(lambda c: account_store.create_account(c, "acme"))
    database.run_sync(lambda c: change_balance(c, account.id, set_to=micros))
    return account.id


def create(database: Database, account_id: AccountId) -> str:
    record = new_record(account_id)
    job = CreateMessage(record, next_attempt_at=record.created_at, charge_micros=PRICE)
    outcome = database.run_sync(lambda c: CreateMessage.run_batch(c, [job])[0])
    if isinstance(outcome, BaseException):
        raise outcome
    return record.id


def test_a_batch_spends_no_more_than_the_balance(database: Database) -> None:
    account_id = funded_account(database, 2 * PRICE)
    jobs = []
    for _ in range(3):
        record = new_record(account_id)
        jobs.append(CreateMessage(record, record.created_at, charge_micros=PRICE))
    outcomes = database.run_sync(lambda c: CreateMessage.run_batch(c, jobs))
    assert [isinstance(o, InsufficientBalanceError) for o in outcomes] == [False, False, True]
    assert database.run_sync(lambda c: get_balance(c, account_id)) == 0
    assert database.run_sync(lambda c: find_message(c, jobs[2].record.id)) is None


def test_refunds_happen_once(database: Database) -> None:
    account_id = funded_account(database, PRICE)
    message_id = create(database, account_id)
    assert database.run_sync(lambda c: refund_unsent(c, [message_id])) == PRICE
    assert database.run_sync(lambda c: refund_unsent(c, [message_id])) == 0
    assert database.run_sync(lambda c: get_balance(c, account_id)) == PRICE


def expire(database: Database, message_id: str, **values: object) -> None:
    past = datetime.now(UTC) - timedelta(seconds=1)
    database.run_sync(
        lambda c: c.execute(
            update(messages).where(messages.c.id == message_id).values(expires_at=past, **values)
        )
    )


def test_an_expired_queued_message_is_refunded_but_not_one_whose_attempt_may_have_gone(
    database: Database,
) -> None:
    account_id = funded_account(database, 2 * PRICE)
    in_flight = create(database, account_id)
    waiting = create(database, account_id)
    # The older one is claimed; its submit's outcome never comes back and its lease runs out.
    database.run_sync(lambda c: ClaimDue(datetime.now(UTC), LEASE, 1).run(c))
    claimed = database.run_sync(lambda c: find_message(c, in_flight))
    assert claimed is not None
    assert claimed.status == "sending"
    expire(database, waiting)
    expire(database, in_flight, lease_until=datetime.now(UTC) - timedelta(seconds=1))

    database.run_sync(lambda c: ClaimDue(datetime.now(UTC), LEASE, 10).run(c))

    for message_id in (waiting, in_flight):
        found = database.run_sync(lambda c, m=message_id: find_message(c, m))
        assert found is not None
        assert (found.status, found.error_code) == ("failed", 30036)
    assert database.run_sync(lambda c: get_balance(c, account_id)) == PRICE


def test_unlimited_accounts_are_never_debited_or_credited(database: Database) -> None:
    account = database.run_sync(lambda c: account_store.create_account(c, "acme"))
    message_id = create(database, account.id)
    assert database.run_sync(lambda c: refund_unsent(c, [message_id])) == 0
    assert database.run_sync(lambda c: get_balance(c, account.id)) is None
