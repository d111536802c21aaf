"""API-key auth (Basic), OAuth 2.0 client credentials (Bearer), and what a key may see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import Connection, select, update

from smsgate.store import accounts as account_store
from smsgate.store.schema import access_tokens, api_keys
from tests.conftest import RECIPIENT, SENDER, Credentials, RunningGateway, wait_for

MESSAGE = {"to": RECIPIENT, "from": SENDER, "body": "hi"}


def token_for(gateway: RunningGateway, credentials: Credentials) -> str:
    response = httpx.post(
        f"{gateway.base_url}/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=credentials.auth,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert response.headers["cache-control"] == "no-store"
    return str(body["access_token"])


def test_missing_credentials_get_401_with_a_challenge(gateway: RunningGateway) -> None:
    response = httpx.post(f"{gateway.base_url}/v1/messages", json=MESSAGE)
    assert response.status_code == 401
    assert response.json()["code"] == 20003
    assert "Basic" in response.headers["www-authenticate"]
    assert "Bearer" in response.headers["www-authenticate"]


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic !!!not-base64",
        "Basic " + "bm9jb2xvbg==",  # "nocolon"
        "Digest abc",
        "Bearer at_unknown",
        "Bearer not-ours",
    ],
)
def test_malformed_or_unknown_credentials_get_401(
    gateway: RunningGateway, account: Credentials, authorization: str
) -> None:
    response = httpx.get(
        f"{gateway.base_url}/v1/messages", headers={"Authorization": authorization}
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_wrong_secret_and_unknown_key_get_401(
    gateway: RunningGateway, account: Credentials
) -> None:
    wrong = httpx.get(f"{gateway.base_url}/v1/messages", auth=(account.key_id, "nope"))
    unknown = httpx.get(f"{gateway.base_url}/v1/messages", auth=("SK" + "0" * 32, account.secret))
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_revoked_key_stops_working(gateway: RunningGateway, account: Credentials) -> None:
    with gateway.client(account) as http:
        assert http.get("/v1/whoami").status_code == 200
        gateway.database.run_sync(lambda c: account_store.revoke_key(c, account.key_id))
        wait_for(lambda: http.get("/v1/whoami").status_code == 401, timeout=5)
        assert "revoked" in http.get("/v1/whoami").json()["detail"]


def test_whoami_names_the_account_and_mode(gateway: RunningGateway, account: Credentials) -> None:
    with gateway.client(account) as http:
        assert http.get("/v1/whoami").json() == {
            "account_id": account.account_id,
            "key_id": account.key_id,
            "mode": "test",
        }


def test_bearer_token_from_client_credentials_sends(
    gateway: RunningGateway, account: Credentials
) -> None:
    token = token_for(gateway, account)
    response = httpx.post(
        f"{gateway.base_url}/v1/messages",
        json=MESSAGE,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201
    assert response.json()["account_id"] == account.account_id


def test_client_id_and_secret_in_the_form_also_work(
    gateway: RunningGateway, account: Credentials
) -> None:
    response = httpx.post(
        f"{gateway.base_url}/v1/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": account.key_id,
            "client_secret": account.secret,
        },
    )
    assert response.status_code == 200


def test_expired_token_gets_401_invalid_token(
    gateway: RunningGateway, account: Credentials
) -> None:
    token = token_for(gateway, account)
    gateway.database.run_sync(
        lambda c: c.execute(
            update(access_tokens).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    )
    response = httpx.get(
        f"{gateway.base_url}/v1/messages", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert "expired" in response.json()["detail"]


def test_token_of_a_revoked_key_stops_working(
    gateway: RunningGateway, account: Credentials
) -> None:
    token = token_for(gateway, account)
    headers = {"Authorization": f"Bearer {token}"}
    gateway.database.run_sync(lambda c: account_store.revoke_key(c, account.key_id))
    wait_for(
        lambda: httpx.get(f"{gateway.base_url}/v1/whoami", headers=headers).status_code == 401,
        timeout=5,
    )


@pytest.mark.parametrize(
    ("data", "auth", "status", "error"),
    [
        ({"grant_type": "password"}, True, 400, "unsupported_grant_type"),
        ({}, True, 400, "invalid_request"),
        ({"grant_type": "client_credentials"}, False, 401, "invalid_client"),
    ],
)
def test_token_endpoint_errors_follow_rfc_6749(
    gateway: RunningGateway,
    account: Credentials,
    data: dict[str, str],
    auth: bool,
    status: int,
    error: str,
) -> None:
    response = httpx.post(
        f"{gateway.base_url}/v1/oauth/token", data=data, auth=account.auth if auth else None
    )
    assert response.status_code == status
    assert response.json()["error"] == error


def test_token_endpoint_with_a_wrong_secret_is_invalid_client(
    gateway: RunningGateway, account: Credentials
) -> None:
    response = httpx.post(
        f"{gateway.base_url}/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(account.key_id, "wrong"),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


def test_token_endpoint_wants_a_form(gateway: RunningGateway, account: Credentials) -> None:
    response = httpx.post(
        f"{gateway.base_url}/v1/oauth/token",
        json={"grant_type": "client_credentials"},
        auth=account.auth,
    )
    assert response.status_code == 415


def test_secrets_and_tokens_are_not_stored_in_clear(
    gateway: RunningGateway, account: Credentials
) -> None:
    token = token_for(gateway, account)

    def everything(connection: Connection) -> str:
        rows = [*connection.execute(select(api_keys)), *connection.execute(select(access_tokens))]
        return repr(rows)

    stored = gateway.database.run_sync(everything)
    assert account.secret not in stored
    assert token not in stored
    assert account.key_id in stored
