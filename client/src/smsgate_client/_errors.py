"""Every error the SDK raises.

    SmsgateError                      root: catch this to catch all of ours
    ├── APIConnectionError            the gateway could not be reached (after retries)
    │   └── APITimeoutError           it did not answer in time (after retries)
    ├── AuthenticationError           401: missing, wrong, revoked or expired key
    ├── PermissionDeniedError         403
    ├── NotFoundError                 404: absent, or another account's
    ├── InvalidRequestError           400/415/422: .code and .field say what to fix
    │   └── OptedOutError             21610: the recipient has opted out
    ├── InsufficientBalanceError      402
    ├── ConflictError                 409: idempotency key reused, already registered, …
    ├── RateLimitError                429: .retry_after seconds (after retries)
    ├── ServerError                   5xx (after retries)
    ├── WebhookVerificationError      a webhook's signature or timestamp does not hold
    └── InvalidPhoneNumberError       to_e164 could not make an E.164 number

Errors from an HTTP answer carry the gateway's problem+json: `status`, `code`, `title`,
`detail`, `field` and the whole body as `problem`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

OPTED_OUT = 21610


class SmsgateError(Exception):
    """Root of every error the SDK raises."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        field: str | None = None,
        problem: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.field = field
        self.problem: Mapping[str, Any] = problem or {}

    @property
    def detail(self) -> str:
        return str(self.problem.get("detail") or self.message)

    @property
    def title(self) -> str | None:
        title = self.problem.get("title")
        return str(title) if title is not None else None


class APIConnectionError(SmsgateError):
    """The gateway could not be reached; the httpx error is chained as `__cause__`."""


class APITimeoutError(APIConnectionError):
    """The gateway did not answer within the timeout."""


class AuthenticationError(SmsgateError):
    """401: the key id or secret is missing, wrong or revoked."""


class PermissionDeniedError(SmsgateError):
    """403: these credentials may not do this."""


class NotFoundError(SmsgateError):
    """404: no such resource in this account."""


class InvalidRequestError(SmsgateError):
    """The gateway refused the request; `code` and `field` say what to fix."""


class OptedOutError(InvalidRequestError):
    """21610: the recipient has opted out of messages from this account or number."""


class InsufficientBalanceError(SmsgateError):
    """402: the account's balance does not cover the message."""


class ConflictError(SmsgateError):
    """409: the request conflicts with the resource's state."""


class RateLimitError(SmsgateError):
    """429: too many requests; `retry_after` is the wait the gateway asked for, if any."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(SmsgateError):
    """5xx: the gateway failed; the request may be retried."""


class WebhookVerificationError(SmsgateError):
    """A webhook's headers, signature or timestamp do not verify; do not trust the body."""


class InvalidPhoneNumberError(SmsgateError, ValueError):
    """`to_e164` could not turn the text into an E.164 number; the message says why."""

    def __init__(self, number: str, reason: str) -> None:
        super().__init__(f"{number!r} is not a usable phone number: {reason}", field="to")
        self.number = number
        self.reason = reason


def error_for_status(
    status: int,
    problem: Mapping[str, Any],
    *,
    retry_after: float | None = None,
) -> SmsgateError:
    """The most specific error for an HTTP answer with this status and problem body."""
    code = problem.get("code")
    code = int(code) if isinstance(code, int | str) and str(code).isdigit() else None
    field = problem.get("field")
    field = str(field) if field is not None else None
    detail = str(problem.get("detail") or problem.get("title") or f"HTTP {status}")
    message = f"{detail} (HTTP {status}{f', code {code}' if code else ''})"
    kwargs: dict[str, Any] = {"status": status, "code": code, "field": field, "problem": problem}
    if status == 429:
        return RateLimitError(message, retry_after=retry_after, **kwargs)
    if code == OPTED_OUT:
        return OptedOutError(message, **kwargs)
    cls = ServerError if status >= 500 else _BY_STATUS.get(status, InvalidRequestError)
    return cls(message, **kwargs)


_BY_STATUS: dict[int, type[SmsgateError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    402: InsufficientBalanceError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    415: InvalidRequestError,
    422: InvalidRequestError,
}
