"""An invoice's serial number and financial year, and amounts in figures and in words."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.numbers import format_decimal

from orders.invoices.gst import GSTIN_ALPHABET
from orders.invoices.models import MAX_NUMBER_LENGTH, InvoiceError

# -- numbers and words ----------------------------------------------------------------------------------------

def financial_year(day: date) -> str:
    """The Indian financial year (April-March) of a date: '2026-27'."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _base36(n: int) -> str:
    digits = ""
    while True:
        n, r = divmod(n, 36)
        digits = GSTIN_ALPHABET[r] + digits
        if n == 0:
            return digits


def invoice_number(business_id: int, fy: str, seq: int) -> str:
    """'1A/26-27/0001': the business, the financial year and the serial; at most 16 characters."""
    number = f"{_base36(business_id)}/{fy[2:]}/{seq:04d}"
    if len(number) > MAX_NUMBER_LENGTH:
        raise InvoiceError(f"invoice number {number} is longer than {MAX_NUMBER_LENGTH} characters")
    return number


_ONES = ("Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven", "Twelve",
         "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen")
_TENS = ("", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety")


def _below_hundred(n: int) -> str:
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")


def number_in_words(n: int) -> str:
    """A whole number in English words grouped the Indian way: 123456 -> 'One Lakh Twenty-Three Thousand ...'."""
    if n < 0:
        raise ValueError("no words for a negative amount")
    if n == 0:
        return "Zero"
    crores, n = divmod(n, 10_000_000)
    lakhs, n = divmod(n, 100_000)
    thousands, n = divmod(n, 1000)
    hundreds, n = divmod(n, 100)
    parts = []
    if crores:
        parts.append(f"{number_in_words(crores)} Crore")  # 1,000 crore is "One Thousand Crore"
    for count, unit in ((lakhs, "Lakh"), (thousands, "Thousand"), (hundreds, "Hundred")):
        if count:
            parts.append(f"{_below_hundred(count)} {unit}")
    if n:
        parts.append(_below_hundred(n))
    return " ".join(parts)


def amount_in_words(paise: int) -> str:
    """'Rupees One Lakh Twenty-Three Thousand Four Hundred Fifty-Six and Seventy-Eight Paise Only'."""
    rupees, rest = divmod(paise, 100)
    words = f"Rupees {number_in_words(rupees)}"
    if rest:
        words += f" and {_below_hundred(rest)} Paise"
    return words + " Only"


def format_amount(paise: int) -> str:
    """1,23,456.78: rupees grouped in lakhs, no symbol (the PDF prints the currency once, in the heading)."""
    return format_decimal(Decimal(paise) / 100, format="#,##,##0.00", locale="en_IN")


def format_rate(rate_bp: int) -> str:
    """'5%', '2.5%', '0.25%'."""
    return f"{(Decimal(rate_bp) / 100).normalize():f}%"
