"""API secrets and tokens: random, hashed at rest with a keyed HMAC, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from smsgate.domain import credentials
from smsgate.domain.credentials import (
    TOKEN_PREFIX,
    hash_secret,
    hash_token,
    new_access_token,
    new_secret,
    secret_matches,
)

PEPPER = "server-pepper"


def test_secrets_are_256_bit_urlsafe_and_distinct() -> None:
    made = {new_secret() for _ in range(100)}
    assert len(made) == 100
    for secret in made:
        assert len(secret) == 43  # 32 bytes of base64url without padding
        assert set(secret) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        )


def test_access_tokens_carry_their_prefix() -> None:
    token = new_access_token()
    assert token.startswith(TOKEN_PREFIX)
    assert TOKEN_PREFIX == "at_"
    assert len(token) == len(TOKEN_PREFIX) + 43
    assert new_access_token() != token


def test_secret_hash_is_hmac_sha256_keyed_by_label_and_pepper() -> None:
    expected = hmac.new(
        b"smsgate/api-secret/v1:" + PEPPER.encode(), b"s3cret", hashlib.sha256
    ).hexdigest()
    assert hash_secret("s3cret", PEPPER) == expected
    assert len(expected) == 64


def test_hash_is_keyed_by_the_pepper() -> None:
    assert hash_secret("s3cret", PEPPER) == hash_secret("s3cret", PEPPER)
    assert hash_secret("s3cret", PEPPER) != hash_secret("s3cret", "another-pepper")
    assert hash_secret("s3cret", "") != hashlib.sha256(b"s3cret").hexdigest()
    assert hash_secret("s3cret", PEPPER) != hash_secret("s3cret!", PEPPER)


def test_secret_and_token_hashes_are_domain_separated() -> None:
    assert hash_secret("same", PEPPER) != hash_token("same", PEPPER)


def test_secret_matches_the_right_secret_and_pepper_only() -> None:
    secret = new_secret()
    stored = hash_secret(secret, PEPPER)
    assert secret_matches(secret, stored, PEPPER) is True
    assert secret_matches(secret + "x", stored, PEPPER) is False
    assert secret_matches(secret, stored, "wrong-pepper") is False
    assert secret_matches(secret, "0" * 64, PEPPER) is False
    assert secret_matches(secret, "", PEPPER) is False
    assert secret_matches("pässwörd ✓", stored, PEPPER) is False


def test_secret_matches_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, object]] = []
    real = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(credentials.hmac, "compare_digest", spy)
    stored = hash_secret("s3cret", PEPPER)
    assert secret_matches("s3cret", stored, PEPPER)
    assert not secret_matches("guess", stored, PEPPER)
    assert calls == [(stored, stored), (hash_secret("guess", PEPPER), stored)]
