"""Money is an integer number of paise; these turn it into text and back, at the edges only."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache

from babel import Locale
from babel.numbers import NumberPattern, parse_pattern
from flask_babel import lazy_gettext as _l

from market.core.db import MAX_ID
from market.core.errors import Refusal

# Babel groups INR in lakhs for en_IN, hi, ta, te and bn but not for mr_IN or kn_IN: pin the pattern.
LAKH_CURRENCY = "¤#,##,##0.00"
LAKH_NUMBER = "#,##,##0"
MAX_PAISE = 10**12  # Rs 1,000 crore: far above any sale; stops overflow and typos.
MAX_STORED_PAISE = MAX_ID  # Rs 2.1 crore: prices, order totals and quotes are 32-bit integer columns


class MoneyError(Refusal):
    """A typed amount that is not a valid number of rupees; str(exc) is the message, in the reader's language."""


def format_inr(paise: int, locale: str = "en_IN") -> str:
    """Rs amount for display, grouped in lakhs (1,23,456.00) in every supported locale."""
    if not isinstance(paise, int) or isinstance(paise, bool):
        raise TypeError("money is an int number of paise")
    return _formatted_inr(paise, locale)


@lru_cache(maxsize=8192)
def _formatted_inr(paise: int, locale: str) -> str:
    """format_inr's text, kept: a page shows dozens of prices, and the same prices come back on every page."""
    pattern, where = _parsed(LAKH_CURRENCY, locale)
    return pattern.apply(Decimal(paise) / 100, where, currency="INR", currency_digits=False)


def format_count(n: int, locale: str = "en_IN") -> str:
    """A whole number grouped in lakhs (1,23,456)."""
    pattern, where = _parsed(LAKH_NUMBER, locale)
    return pattern.apply(n, where)


@cache
def _parsed(pattern: str, locale: str) -> tuple[NumberPattern, Locale]:
    """What babel's format_currency / format_decimal parse on every call, parsed once per locale (a page shows
    dozens of prices)."""
    return parse_pattern(pattern), Locale.parse(locale)


def parse_rupees(text: str) -> int:
    """Paise from what a person typed in rupees: '1,234.5' -> 123450. Raises MoneyError."""
    cleaned = (text or "").strip().replace(",", "").replace("₹", "").replace("Rs.", "").replace("Rs", "")
    cleaned = cleaned.strip()
    if not cleaned:
        raise MoneyError(_l("Enter an amount in rupees."))
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as exc:
        raise MoneyError(_l("Enter the amount in numbers, like 250 or 250.50.")) from exc
    exponent = amount.as_tuple().exponent  # a letter for NaN and infinity
    if not isinstance(exponent, int) or exponent < -2:
        raise MoneyError(_l("Use at most two digits after the point, like 250.50."))
    if amount < 0:
        raise MoneyError(_l("The amount cannot be below zero."))
    if amount > Decimal(MAX_PAISE) / 100:  # before multiplying: 1e999999 * 100 overflows Decimal itself
        raise MoneyError(_l("That amount is too large."))
    return int(amount * 100)
