"""One page of a list answer: `{"<items>": [...], "next_cursor": str|null, "has_more": bool}`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from smsgate_client._errors import SmsgateError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    has_more: bool


def parse_page(data: Any, key: str) -> Page[Mapping[str, Any]]:
    if not isinstance(data, Mapping) or not isinstance(data.get(key), list):
        raise SmsgateError(f"The gateway's answer has no {key!r} list; is this an smsgate URL?")
    cursor = data.get("next_cursor")
    return Page(
        items=[item for item in data[key] if isinstance(item, Mapping)],
        next_cursor=cursor if isinstance(cursor, str) and cursor else None,
        has_more=bool(data.get("has_more")),
    )
