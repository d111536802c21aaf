"""From problem+json to the most specific error."""

from __future__ import annotations

import pytest

from smsgate_client import (
    AuthenticationError,
    ConflictError,
    InsufficientBalanceError,
    InvalidRequestError,
    NotFoundError,
    OptedOutError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    SmsgateError,
)
from smsgate_client._errors import error_for_status


def problem(status: int, code: int, field: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {"type": "t", "title": "T", "status": status, "detail": "Fix it.",
                               "code": code}  # fmt: skip
    if field:
        body["field"] = field
    return body


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, 21211, InvalidRequestError),
        (400, 21610, OptedOutError),
        (401, 20003, AuthenticationError),
        (402, 20003, InsufficientBalanceError),
        (403, 20403, PermissionDeniedError),
        (404, 20404, NotFoundError),
        (409, 20409, ConflictError),
        (415, 20415, InvalidRequestError),
        (429, 20429, RateLimitError),
        (500, 20500, ServerError),
        (503, 20500, ServerError),
    ],
)
def test_each_status_has_its_error(status: int, code: int, expected: type[SmsgateError]) -> None:
    error = error_for_status(status, problem(status, code, "to"))
    assert type(error) is expected
    assert (error.status, error.code, error.field, error.detail) == (status, code, "to", "Fix it.")
    assert "Fix it." in str(error)


def test_opted_out_is_an_invalid_request() -> None:
    assert isinstance(error_for_status(400, problem(400, 21610)), InvalidRequestError)


def test_rate_limit_carries_retry_after() -> None:
    error = error_for_status(429, problem(429, 20429), retry_after=3.0)
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 3.0


def test_a_body_that_is_not_a_problem_still_gives_an_error() -> None:
    error = error_for_status(418, {})
    assert isinstance(error, InvalidRequestError)
    assert error.code is None
    assert "HTTP 418" in str(error)
