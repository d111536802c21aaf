"""Price tables: TOML in, a price per segment by country out, ConfigError naming bad entries."""

from __future__ import annotations

from decimal import Decimal
from importlib.resources import files

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.pricing import PriceTable, parse_price_table
from smsgate.errors import ConfigError

TABLE = """
currency = "EUR"
default = "0.0500"

[countries]
US = "0.0079"
gb = "0.0400"
"""


def test_table_is_read_with_upper_case_countries() -> None:
    table = parse_price_table(TABLE)
    assert table == PriceTable(
        currency="EUR",
        default=Decimal("0.0500"),
        by_country={"US": Decimal("0.0079"), "GB": Decimal("0.0400")},
    )


@pytest.mark.parametrize(
    ("country", "segments", "price"),
    [("US", 1, "0.0079"), ("US", 3, "0.0237"), ("GB", 2, "0.0800"), ("FR", 1, "0.0500")],
)
def test_price_is_per_segment_with_the_default_for_other_countries(
    country: str, segments: int, price: str
) -> None:
    result = parse_price_table(TABLE).price(country, segments)
    assert str(result) == price  # at the table's precision, no float rounding


def test_empty_table_is_free_in_usd() -> None:
    table = parse_price_table("")
    assert table == PriceTable(currency="USD", default=Decimal("0"))
    assert table.price("US", 4) == 0


def test_toml_numbers_are_read_as_written() -> None:
    table = parse_price_table("default = 0.1\n[countries]\nUS = 1e-5\n")
    assert table.default == Decimal("0.1")
    assert table.by_country["US"] == Decimal("0.00001")


def test_built_in_table_parses() -> None:
    text = (files("smsgate") / "data" / "prices.toml").read_text()
    table = parse_price_table(text, source="built-in price table")
    assert table.currency == "USD"
    assert table.price("US", 1) == Decimal("0.0079")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'default = "abc"',
            "The prices.toml has default = 'abc'; write a decimal like \"0.0079\".",
        ),
        ("default = true", 'The prices.toml has default = True; write a decimal like "0.0079".'),
        (
            '[countries]\nUS = "0.01"\nGB = "1,5"',
            "The prices.toml has countries.GB = '1,5'; write a decimal like \"0.0079\".",
        ),
        ('default = "-1"', "The prices.toml has default = '-1'; prices cannot be negative."),
        ("default = -0.01", "The prices.toml has default = -0.01; prices cannot be negative."),
        (
            '[countries]\nUS = "-0.0079"',
            "The prices.toml has countries.US = '-0.0079'; prices cannot be negative.",
        ),
        ("countries = 3", 'The prices.toml needs [countries] to be a table of CC = "price".'),
    ],
)
def test_bad_entries_are_named(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_price_table(text, source="prices.toml")
    assert str(caught.value) == message


def test_invalid_toml_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"^The prices\.toml is not valid TOML: .*line 1"):
        parse_price_table("default = \n", source="prices.toml")


@pytest.mark.parametrize(
    "text",
    [
        'default = "Infinity"',
        "default = inf",
        'default = "NaN"',
        "default = nan",
        'default = "sNaN"',
    ],
)
def test_non_finite_prices_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError, match=r"^The prices\.toml has default = ") as caught:
        parse_price_table(text, source="prices.toml")
    assert "negative" not in str(caught.value)  # infinity is not negative: say what is wrong


@given(
    st.one_of(
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.text(alphabet="0123456789.-+eEinfatyNIsS,", max_size=8),
    )
)
def test_any_price_string_is_a_table_or_a_config_error(value: str) -> None:
    text = f'default = "{value}"'
    try:
        table = parse_price_table(text)
    except ConfigError:
        return
    assert table.default.is_finite()
    assert table.default >= 0
