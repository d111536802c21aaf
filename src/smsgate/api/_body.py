"""Request bodies read with msgspec: strict types, and an error that names the field."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from smsgate.errors import ValidationError

T = TypeVar("T")


def decode_body(decoder: msgspec.json.Decoder[T], data: bytes, what: str) -> T:
    """`data` decoded as `what` ("a number"), or ValidationError (20001) with its field."""
    try:
        return decoder.decode(data)
    except msgspec.ValidationError as exc:
        message = str(exc)
        field = message.rpartition("at `$.")[2].rstrip("`") if "at `$." in message else None
        if "unknown field" in message or message.startswith("Object missing required field"):
            field = message.split("`")[1]
        suffix = f" (field {field!r})" if field else ""
        raise ValidationError(
            f"{message.split(' - at ')[0]}{suffix}; see /docs for the fields of {what}.",
            field=field,
        ) from None
    except msgspec.DecodeError as exc:
        raise ValidationError(f"The request body is not valid JSON: {exc}.") from None


def body_doc(struct: type[msgspec.Struct], example: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI `requestBody` for a route that reads its body itself, as `struct`."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": msgspec.json.schema(struct), "example": example}
            },
        }
    }
