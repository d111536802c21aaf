"""Accounts, their API keys, and the access tokens issued for those keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from smsgate.domain.credentials import hash_secret, hash_token, new_access_token, new_secret
from smsgate.domain.ids import AccountId, KeyId, new_account_id, new_key_id
from smsgate.errors import ConflictError, NotFoundError
from smsgate.store.schema import access_tokens, accounts, api_keys

Mode = Literal["live", "test"]


@dataclass(frozen=True, slots=True)
class Account:
    id: AccountId
    name: str
    created_at: datetime
    # Operators manage what all accounts share: connectors and routes.
    is_operator: bool = False


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: KeyId
    account_id: AccountId
    name: str
    mode: Mode
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def is_test(self) -> bool:
        return self.mode == "test"


def create_account(connection: Connection, name: str, *, operator: bool = False) -> Account:
    account = Account(new_account_id(), name, datetime.now(UTC), operator)
    try:
        with connection.begin_nested():
            connection.execute(
                accounts.insert().values(
                    id=account.id, name=name, created_at=account.created_at, is_operator=operator
                )
            )
    except IntegrityError:
        raise ConflictError(f"An account named '{name}' already exists.") from None
    return account


def find_account(connection: Connection, name_or_id: str) -> Account | None:
    row = connection.execute(
        select(accounts).where((accounts.c.name == name_or_id) | (accounts.c.id == name_or_id))
    ).first()
    return Account(AccountId(row.id), row.name, row.created_at, row.is_operator) if row else None


def get_account(connection: Connection, name_or_id: str) -> Account:
    account = find_account(connection, name_or_id)
    if account is None:
        raise NotFoundError(
            f"No account is named or has the id '{name_or_id}'. "
            "List them with 'smsgate accounts list'."
        )
    return account


def list_accounts(connection: Connection) -> list[Account]:
    rows = connection.execute(select(accounts).order_by(accounts.c.created_at))
    return [Account(AccountId(r.id), r.name, r.created_at, r.is_operator) for r in rows]


def is_operator(connection: Connection, account_id: str) -> bool:
    value = connection.execute(
        select(accounts.c.is_operator).where(accounts.c.id == account_id)
    ).scalar()
    return bool(value)


def set_operator(connection: Connection, name_or_id: str, operator: bool) -> Account:
    account = get_account(connection, name_or_id)
    connection.execute(
        update(accounts).where(accounts.c.id == account.id).values(is_operator=operator)
    )
    return get_account(connection, account.id)


def create_key(
    connection: Connection, account_id: AccountId, *, mode: Mode, name: str, pepper: str
) -> tuple[ApiKey, str]:
    """A new key and its secret. The secret is returned once and only its hash is kept."""
    secret = new_secret()
    key = ApiKey(
        id=new_key_id(),
        account_id=account_id,
        name=name,
        mode=mode,
        secret_hash=hash_secret(secret, pepper),
        created_at=datetime.now(UTC),
        revoked_at=None,
    )
    connection.execute(
        api_keys.insert().values(
            id=key.id,
            account_id=key.account_id,
            name=key.name,
            mode=key.mode,
            secret_hash=key.secret_hash,
            created_at=key.created_at,
        )
    )
    return key, secret


def _key(row: object) -> ApiKey:
    return ApiKey(
        id=KeyId(row.id),  # type: ignore[attr-defined]
        account_id=AccountId(row.account_id),  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        mode=row.mode,  # type: ignore[attr-defined]
        secret_hash=row.secret_hash,  # type: ignore[attr-defined]
        created_at=row.created_at,  # type: ignore[attr-defined]
        revoked_at=row.revoked_at,  # type: ignore[attr-defined]
    )


def find_key(connection: Connection, key_id: str) -> ApiKey | None:
    row = connection.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
    return _key(row) if row else None


def list_keys(connection: Connection, account_id: AccountId | None = None) -> list[ApiKey]:
    query = select(api_keys).order_by(api_keys.c.created_at)
    if account_id is not None:
        query = query.where(api_keys.c.account_id == account_id)
    return [_key(row) for row in connection.execute(query)]


def revoke_key(connection: Connection, key_id: str) -> ApiKey:
    """Revoke a key (idempotent); its access tokens stop working with it."""
    key = find_key(connection, key_id)
    if key is None:
        raise NotFoundError(
            f"No API key has the id '{key_id}'. List them with 'smsgate keys list'."
        )
    if key.revoked_at is None:
        connection.execute(
            update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=datetime.now(UTC))
        )
    return find_key(connection, key_id) or key


def issue_token(
    connection: Connection, key: ApiKey, *, ttl_seconds: int, pepper: str
) -> tuple[str, datetime]:
    """A new bearer access token for `key`, valid for `ttl_seconds`."""
    token = new_access_token()
    now = datetime.now(UTC)
    expires_at = now + timedelta(seconds=ttl_seconds)
    connection.execute(
        access_tokens.insert().values(
            token_hash=hash_token(token, pepper),
            key_id=key.id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return token, expires_at


def find_token(connection: Connection, token_hash: str) -> tuple[ApiKey, datetime] | None:
    """The key behind a token hash, and when the token expires."""
    row = connection.execute(
        select(api_keys, access_tokens.c.expires_at)
        .join(access_tokens, access_tokens.c.key_id == api_keys.c.id)
        .where(access_tokens.c.token_hash == token_hash)
    ).first()
    return (_key(row), row.expires_at) if row else None


def status_callback(connection: Connection, account_id: str) -> str | None:
    value = connection.execute(
        select(accounts.c.status_callback).where(accounts.c.id == account_id)
    ).scalar()
    return None if value is None else str(value)


def set_status_callback(connection: Connection, account_id: str, url: str | None) -> None:
    connection.execute(
        update(accounts).where(accounts.c.id == account_id).values(status_callback=url)
    )
