"""Every error smsgate raises on purpose.

    SmsgateError                      root: catch this to catch all of ours
    ├── ConfigError                   settings that cannot work (bad value, bad file)
    ├── ValidationError               a request we refuse; carries ErrorCode + field
    │   ├── InvalidToError            21211
    │   ├── InvalidFromError          21212
    │   ├── FromNotOwnedError         21606
    │   ├── EmptyBodyError            21602
    │   ├── BodyTooLongError          21617
    │   ├── OptedOutError             21610
    │   └── ContentRejectedError      30007 (content policy "reject")
    ├── NotFoundError                 20404: the resource is absent (or not yours)
    ├── ConflictError                 409: idempotency key reused, or too late to cancel
    ├── LimitError                    the request is fine but exceeds what the account may do
    │   ├── RateLimitedError          429 20429: too many requests (carries headers)
    │   ├── QueueFullError            429 30001: too many messages waiting
    │   └── InsufficientBalanceError  402 20003: the balance cannot cover the price
    ├── AuthError                     401: missing, wrong, revoked or expired credentials
    ├── ForbiddenError                403: the credentials are good but not an operator's
    ├── StoreError                    the database failed us
    ├── DeliveryError                 a connector could not hand a message over
    │                                 (carries retryable, our code and the carrier's)
    └── SmppError                     the SMPP stack (see smsgate.smpp.errors)

Each class sets its code as a class attribute, so raising is one line and turning an
error into an answer (problem+json, exit 2, an SMPP status) is a lookup, not a parse.
"""

from __future__ import annotations

from enum import IntEnum


class ErrorCode(IntEnum):
    """Our error codes. Where the industry has a number for the same meaning, we reuse it."""

    BAD_REQUEST = 20001
    UNAUTHORIZED = 20003
    # The same number, as the agreed API contract gives it to a balance refusal (402).
    INSUFFICIENT_BALANCE = 20003
    FORBIDDEN = 20403
    NOT_FOUND = 20404
    CONFLICT = 20409
    UNSUPPORTED_MEDIA_TYPE = 20415
    TOO_MANY_REQUESTS = 20429
    INTERNAL = 20500
    INVALID_TO = 21211
    INVALID_FROM = 21212
    EMPTY_BODY = 21602
    FROM_NOT_OWNED = 21606
    OPTED_OUT = 21610
    BODY_TOO_LONG = 21617
    INVALID_PARAMETER = 21620
    QUEUE_OVERFLOW = 30001
    UNREACHABLE = 30003
    BLOCKED = 30004
    UNKNOWN_DESTINATION = 30005
    LANDLINE = 30006
    CARRIER_FILTERED = 30007
    UNKNOWN_ERROR = 30008
    VALIDITY_EXPIRED = 30036


class SmsgateError(Exception):
    """Root of every error smsgate raises on purpose."""

    code: ErrorCode = ErrorCode.INTERNAL


class ConfigError(SmsgateError):
    """A setting has a value that cannot work; the message names it and the fix."""


class ValidationError(SmsgateError):
    """A request we refuse. `field` names the offending input, if one does."""

    code = ErrorCode.BAD_REQUEST
    title = "Invalid request"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class InvalidToError(ValidationError):
    code = ErrorCode.INVALID_TO
    title = "Invalid 'To' phone number"


class InvalidFromError(ValidationError):
    code = ErrorCode.INVALID_FROM
    title = "Invalid 'From' phone number or sender ID"


class FromNotOwnedError(ValidationError):
    code = ErrorCode.FROM_NOT_OWNED
    title = "'From' is not a number of this account"


class EmptyBodyError(ValidationError):
    code = ErrorCode.EMPTY_BODY
    title = "Message body is required"


class BodyTooLongError(ValidationError):
    code = ErrorCode.BODY_TOO_LONG
    title = "Message body is too long"


class OptedOutError(ValidationError):
    code = ErrorCode.OPTED_OUT
    title = "The recipient has opted out"


class ContentRejectedError(ValidationError):
    code = ErrorCode.CARRIER_FILTERED
    title = "Content likely to be filtered"


class InvalidParameterError(ValidationError):
    code = ErrorCode.INVALID_PARAMETER
    title = "Invalid parameter"


class NotFoundError(SmsgateError):
    code = ErrorCode.NOT_FOUND


class ConflictError(SmsgateError):
    code = ErrorCode.CONFLICT


class LimitError(SmsgateError):
    """A valid request over one of the account's limits; nothing of it was stored."""

    title = "Limit reached"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class RateLimitedError(LimitError):
    code = ErrorCode.TOO_MANY_REQUESTS
    title = "Too many requests"


class QueueFullError(LimitError):
    code = ErrorCode.QUEUE_OVERFLOW
    title = "Queue full"


class InsufficientBalanceError(LimitError):
    code = ErrorCode.INSUFFICIENT_BALANCE
    title = "Insufficient balance"


class AuthError(SmsgateError):
    code = ErrorCode.UNAUTHORIZED


class ForbiddenError(SmsgateError):
    code = ErrorCode.FORBIDDEN


class StoreError(SmsgateError):
    """The database failed; the original exception is chained."""


class DeliveryError(SmsgateError):
    """A connector could not hand a message to the carrier.

    `retryable` alone decides what the dispatcher does next: try again later, or fail
    the message with `code`. `carrier_code`/`carrier_text` keep what the carrier said.
    """

    code = ErrorCode.UNKNOWN_ERROR

    def __init__(
        self,
        detail: str,
        *,
        retryable: bool,
        code: ErrorCode | None = None,
        carrier_code: int | None = None,
        carrier_text: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retryable = retryable
        if code is not None:
            self.code = code
        self.carrier_code = carrier_code
        self.carrier_text = carrier_text


class SmppError(SmsgateError):
    """Root of the SMPP stack's errors."""
