"""What a message costs: a price per segment by destination country.

The table also says what each connector (carrier link) costs us per segment, by country,
so an operator can compare price and cost. Amounts are decimals with at most six places:
balances and charges are kept as whole millionths ("micros") of the table's currency, so
adding and subtracting them in the database is exact.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from smsgate.errors import ConfigError

MICROS = 1_000_000
_PLACES = 6


def to_micros(amount: Decimal) -> int:
    """`amount` in millionths; ValueError if it has more than six decimal places."""
    micros = amount * MICROS
    if micros != micros.to_integral_value():
        raise ValueError(f"{amount} has more than {_PLACES} decimal places")
    return int(micros)


def parse_amount(text: str) -> int:
    """A decimal amount typed by a person ("12.50", "-3") in micros; ValueError otherwise."""
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"'{text}' is not an amount; write a decimal like 12.50") from None
    if not amount.is_finite():
        raise ValueError(f"'{text}' is not an amount; write a decimal like 12.50")
    try:
        return to_micros(amount)
    except ValueError:
        raise ValueError(f"'{text}' has more than {_PLACES} decimal places") from None


def format_micros(micros: int) -> str:
    """Millionths as a decimal string with 2 to 6 places: 7900 → "0.0079", 12_500_000 → "12.50"."""
    whole, places = f"{Decimal(micros).scaleb(-_PLACES):.{_PLACES}f}".split(".")
    return f"{whole}.{places.rstrip('0').ljust(2, '0')}"


@dataclass(frozen=True, slots=True)
class Rates:
    """A price (or cost) per segment by country, with a default for the others."""

    default: Decimal
    by_country: dict[str, Decimal] = field(default_factory=dict)

    def per_segment(self, country: str) -> Decimal:
        return self.by_country.get(country, self.default)


@dataclass(frozen=True, slots=True)
class PriceTable:
    currency: str
    default: Decimal
    by_country: dict[str, Decimal] = field(default_factory=dict)
    # What each connector charges us per segment, by connector name.
    costs: dict[str, Rates] = field(default_factory=dict)

    def price(self, country: str, segments: int) -> Decimal:
        """The price of `segments` segments to `country`, at the table's precision."""
        return self.by_country.get(country, self.default) * segments

    def cost(self, connector: str, country: str, segments: int) -> Decimal | None:
        """What `connector` charges for `segments` segments to `country`; None if unknown."""
        rates = self.costs.get(connector)
        return None if rates is None else rates.per_segment(country) * segments


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
        try:
            to_micros(result)
        except ValueError:
            raise ConfigError(
                f"The {source} has {where} = {value!r}; give at most {_PLACES} decimal places."
            ) from None
        return abs(result)  # "-0" is zero

    def by_country(where: str, countries: object) -> dict[str, Decimal]:
        if not isinstance(countries, dict):
            raise ConfigError(f'The {source} needs [{where}] to be a table of CC = "price".')
        return {cc.upper(): amount(f"{where}.{cc}", v) for cc, v in countries.items()}

    connectors = data.get("connectors", {})
    if not isinstance(connectors, dict) or not all(
        isinstance(v, dict) for v in connectors.values()
    ):
        raise ConfigError(
            f"The {source} needs [connectors.NAME] tables, each with a default and [countries]."
        )
    return PriceTable(
        currency=str(data.get("currency", "USD")),
        default=amount("default", data.get("default", "0")),
        by_country=by_country("countries", data.get("countries", {})),
        costs={
            name: Rates(
                default=amount(f"connectors.{name}.default", costs.get("default", "0")),
                by_country=by_country(f"connectors.{name}.countries", costs.get("countries", {})),
            )
            for name, costs in connectors.items()
        },
    )
