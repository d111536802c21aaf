"""What a message costs: a price per segment by destination country."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from smsgate.errors import ConfigError


@dataclass(frozen=True, slots=True)
class PriceTable:
    currency: str
    default: Decimal
    by_country: dict[str, Decimal] = field(default_factory=dict)

    def price(self, country: str, segments: int) -> Decimal:
        """The price of `segments` segments to `country`, at the table's precision."""
        return self.by_country.get(country, self.default) * segments


def parse_price_table(text: str, *, source: str = "price table") -> PriceTable:
    """Read a price table from TOML text; raises ConfigError naming the bad entry."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The {source} is not valid TOML: {exc}.") from exc

    def amount(where: str, value: object) -> Decimal:
        try:
            result = Decimal(str(value))
        except InvalidOperation:
            raise ConfigError(
                f'The {source} has {where} = {value!r}; write a decimal like "0.0079".'
            ) from None
        if not result.is_finite():
            raise ConfigError(
                f'The {source} has {where} = {value!r}; write a finite decimal like "0.0079".'
            )
        if result < 0:
            raise ConfigError(f"The {source} has {where} = {value!r}; prices cannot be negative.")
        return abs(result)  # "-0" is zero

    countries = data.get("countries", {})
    if not isinstance(countries, dict):
        raise ConfigError(f'The {source} needs [countries] to be a table of CC = "price".')
    return PriceTable(
        currency=str(data.get("currency", "USD")),
        default=amount("default", data.get("default", "0")),
        by_country={cc.upper(): amount(f"countries.{cc}", v) for cc, v in countries.items()},
    )
