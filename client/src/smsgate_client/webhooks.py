"""Verifying smsgate's webhooks (Standard Webhooks, https://www.standardwebhooks.com).

smsgate signs each webhook with HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`,
keyed with the account's secret (`whsec_` + base64), and sends `webhook-signature:
v1,<base64>`; during a secret rotation there are two, separated by a space, and either
verifying is enough. `verify` also refuses a timestamp more than five minutes away from
now, so a captured request cannot be replayed later.

    event = webhooks.verify(request_body_bytes, request.headers, secret)

Pass the body exactly as received: parsed and re-serialised JSON will not verify.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Mapping
from datetime import datetime

from smsgate_client._errors import WebhookVerificationError
from smsgate_client._models import WebhookEvent

__all__ = ["TOLERANCE_SECONDS", "WebhookEvent", "WebhookVerificationError", "sign", "verify"]

TOLERANCE_SECONDS = 5 * 60
_PREFIX = "whsec_"


def _key(secret: str) -> bytes:
    raw = secret[len(_PREFIX) :] if secret.startswith(_PREFIX) else secret
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError(
            "The webhook secret is not 'whsec_' followed by base64; copy it from "
            "GET /v1/account (webhook_secret) or `smsgate webhooks secret`."
        ) from None


def _signature(key: bytes, webhook_id: str, timestamp: str, body: bytes) -> bytes:
    signed = webhook_id.encode() + b"." + timestamp.encode() + b"." + body
    return hmac.new(key, signed, hashlib.sha256).digest()


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:  # a plain dict may keep the sender's capitalisation
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    if not value:
        raise WebhookVerificationError(f"The request has no {name} header; it is not a webhook.")
    return value


def verify(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: str | Iterable[str],
    *,
    tolerance: float = TOLERANCE_SECONDS,
    now: float | None = None,
) -> WebhookEvent:
    """Check a webhook's signature and age, and return its event.

    Args:
        body: the request body, exactly as received.
        headers: the request headers (any mapping; names are matched case-insensitively).
        secret: the account's `whsec_…` secret, or several (each is tried).
        tolerance: how far, in seconds, the timestamp may be from now.
        now: the current Unix time (for tests).

    Raises:
        WebhookVerificationError: a header is missing, the timestamp is too old or too
            new, no signature matches, or the body is not a JSON event.
    """
    raw = body.encode() if isinstance(body, str) else bytes(body)
    webhook_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise WebhookVerificationError(
            f"webhook-timestamp {timestamp!r} is not Unix seconds."
        ) from None
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance:
        raise WebhookVerificationError(
            f"The webhook's timestamp is {int(current - sent_at)} s from now, more than the "
            f"{int(tolerance)} s allowed: a replay, or a clock that is off."
        )
    secrets = [secret] if isinstance(secret, str) else list(secret)
    expected = [_signature(_key(s), webhook_id, timestamp, raw) for s in secrets]
    offered = []
    for item in signatures.split():
        version, _, value = item.partition(",")
        if version != "v1":
            continue
        try:
            offered.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            continue
    # Compare every pair, in constant time each, and decide after: no early exit.
    matched = False
    for mine in expected:
        for theirs in offered:
            matched |= hmac.compare_digest(mine, theirs)
    if not matched:
        raise WebhookVerificationError(
            "No webhook signature matches: the body was changed, or the secret is not the "
            "one this account signs with."
        )
    try:
        data = json.loads(raw)
    except ValueError:
        raise WebhookVerificationError("The webhook body is not JSON.") from None
    if not isinstance(data, dict):
        raise WebhookVerificationError("The webhook body is not a JSON object.")
    return WebhookEvent.from_json(webhook_id, data)


def sign(
    body: bytes | str, secret: str, *, webhook_id: str, timestamp: datetime | int
) -> dict[str, str]:
    """The three headers smsgate would send with `body`: handy to test your handler."""
    raw = body.encode() if isinstance(body, str) else bytes(body)
    seconds = str(int(timestamp.timestamp()) if isinstance(timestamp, datetime) else timestamp)
    signature = base64.b64encode(_signature(_key(secret), webhook_id, seconds, raw)).decode()
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": seconds,
        "webhook-signature": f"v1,{signature}",
    }
