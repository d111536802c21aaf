"""Account balances: debited with message creation, refunded when a message never left.

A balance is kept in millionths of the price table's currency (`accounts.balance_micros`);
NULL means the account is unlimited and nothing is taken from it. Every change is one SQL
statement of arithmetic on the row (`balance = balance - x`) inside the writer's
transaction, so concurrent processes on PostgreSQL cannot lose an update, and the debit
commits or rolls back with the message row it pays for.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

from sqlalchemy import Connection, bindparam, func, select, update

from smsgate.errors import InvalidParameterError, NotFoundError
from smsgate.store.accounts import Account, get_account
from smsgate.store.prepared import Prepared, any_of
from smsgate.store.schema import accounts, messages


def balances_for_update(connection: Connection, account_ids: Collection[str]) -> dict[str, int]:
    """The balances of those of `account_ids` that have one, their rows locked until commit.

    Unlimited accounts are not returned and not locked: their messages need no debit.
    """
    if not account_ids:
        return {}
    rows = _BALANCES.rows(connection, {"ids": list(set(account_ids))})
    return {row.id: int(row.balance_micros) for row in rows}


_BALANCES = Prepared(
    select(accounts.c.id, accounts.c.balance_micros)
    .where(any_of(accounts.c.id, "ids"), accounts.c.balance_micros.is_not(None))
    .with_for_update()
)


def debit(connection: Connection, totals: dict[str, int]) -> None:
    """Take `totals[account]` micros from each account (already checked to be there)."""
    _ADJUST.executemany(
        connection, [{"b_id": account, "b_delta": -amount} for account, amount in totals.items()]
    )


def refund_unsent(connection: Connection, message_ids: Sequence[str]) -> int:
    """Give back what these messages cost: they failed or were canceled before a carrier
    took them. Each message is refunded once (its charge drops to zero); returns the
    micros credited to balances."""
    if not message_ids:
        return 0
    rows = connection.execute(
        select(messages.c.id, messages.c.account_id, messages.c.charge_micros, messages.c.debited)
        .where(messages.c.id.in_(set(message_ids)), messages.c.charge_micros > 0)
        .with_for_update()
    ).all()
    if not rows:
        return 0
    credits: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.debited:
            credits[row.account_id] += int(row.charge_micros)
    connection.execute(
        update(messages)
        .where(messages.c.id.in_([row.id for row in rows]))
        .values(charge_micros=0, debited=False)
    )
    _ADJUST.executemany(
        connection, [{"b_id": account, "b_delta": amount} for account, amount in credits.items()]
    )
    return sum(credits.values())


def get_balance(connection: Connection, account_id: str) -> int | None:
    """The account's balance in micros, or None if it is unlimited."""
    row = connection.execute(
        select(accounts.c.balance_micros).where(accounts.c.id == account_id)
    ).first()
    if row is None:
        raise NotFoundError(f"No account has the id '{account_id}'.")
    return None if row.balance_micros is None else int(row.balance_micros)


def set_balance(connection: Connection, account_id: str, micros: int | None) -> None:
    """Set the balance (None: unlimited)."""
    connection.execute(
        update(accounts).where(accounts.c.id == account_id).values(balance_micros=micros)
    )


def change_balance(
    connection: Connection,
    name_or_id: str,
    *,
    set_to: int | None = None,
    add: int | None = None,
    unlimited: bool = False,
) -> tuple[Account, int | None]:
    """Set, top up (a negative `add` takes away) or make unlimited an account's balance, or
    with none of them just read it. An unlimited account topped up starts from zero.
    Returns the account and its balance afterwards (None: unlimited)."""
    account = get_account(connection, name_or_id)
    if unlimited:
        set_balance(connection, account.id, None)
    elif set_to is not None:
        if set_to < 0:
            raise InvalidParameterError("A balance cannot be set below zero.", field="set")
        set_balance(connection, account.id, set_to)
    elif add is not None:
        # One statement, so a debit committed meanwhile by a gateway is not lost.
        new_balance = func.coalesce(accounts.c.balance_micros, 0) + add
        changed = connection.execute(
            update(accounts)
            .where(accounts.c.id == account.id, new_balance >= 0)
            .values(balance_micros=new_balance)
        ).rowcount
        if not changed:
            raise InvalidParameterError(
                "That would take the balance below zero; take at most what is left.",
                field="add",
            )
    return account, get_balance(connection, account.id)


_ADJUST = Prepared(
    update(accounts)
    .where(accounts.c.id == bindparam("b_id"), accounts.c.balance_micros.is_not(None))
    .values(balance_micros=accounts.c.balance_micros + bindparam("b_delta"))
)
