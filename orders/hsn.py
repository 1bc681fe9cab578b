"""GST reference data for invoices: HSN code and rate per category, the state of a PIN code, GST state codes.

The rates and the PIN code plan are data, in `orders/data/*.csv`, read once per process: edit the files (each
explains its source and its assumptions in its header), not this module. Rates are held as basis points
(500 = 5%) so all tax arithmetic stays in integers.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from vendors.states import STATES

DATA = Path(__file__).resolve().parent / "data"
RATES_FILE = DATA / "hsn_rates.csv"
PINCODES_FILE = DATA / "pincode_states.csv"

# The numeric state codes of the GST system (the first two digits of a GSTIN), by our two-letter codes.
# Fixed by the GST Network; 25 (Daman and Diu) merged into 26 in 2020, 28 was undivided Andhra Pradesh.
GST_STATE_CODES = {
    "JK": "01", "HP": "02", "PB": "03", "CH": "04", "UK": "05", "HR": "06", "DL": "07", "RJ": "08", "UP": "09",
    "BR": "10", "SK": "11", "AR": "12", "NL": "13", "MN": "14", "MZ": "15", "TR": "16", "ML": "17", "AS": "18",
    "WB": "19", "JH": "20", "OD": "21", "CG": "22", "MP": "23", "GJ": "24", "DH": "26", "MH": "27", "KA": "29",
    "GA": "30", "LD": "31", "KL": "32", "TN": "33", "PY": "34", "AN": "35", "TS": "36", "AP": "37", "LA": "38",
}
# Codes a GSTIN may start with: the states above, 25 (old Daman and Diu registrations), 97 (other territory).
GSTIN_STATE_CODES = frozenset(GST_STATE_CODES.values()) | {"25", "97"}


class UnknownCategory(LookupError):
    """No HSN row for a category: add one to orders/data/hsn_rates.csv."""


@dataclass(frozen=True)
class RateRule:
    """One row of hsn_rates.csv, rates in basis points and the threshold in paise."""

    category: str
    hsn: str
    description: str
    rate_bp: int
    threshold_paise: int | None = None
    rate_above_bp: int | None = None

    def rate_for(self, unit_price_paise: int) -> int:
        """The rate for a piece sold at this GST-inclusive price.

        The threshold is on the value of one piece net of tax: the lower rate applies while
        price * 100 / (100 + low rate) <= threshold, that is price * 10000 <= threshold * (10000 + low).
        """
        if self.threshold_paise is None or self.rate_above_bp is None:
            return self.rate_bp
        if unit_price_paise * 10_000 <= self.threshold_paise * (10_000 + self.rate_bp):
            return self.rate_bp
        return self.rate_above_bp


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(line for line in f if line.strip() and not line.startswith("#")))


def _basis_points(text: str) -> int:
    value = Decimal(text) * 100
    if value != value.to_integral_value() or not 0 <= value <= 10_000:
        raise ValueError(f"GST rate {text!r} is not a percentage with at most two decimals")
    return int(value)


@functools.cache
def rate_table(path: Path = RATES_FILE) -> dict[str, RateRule]:
    """Category slug -> its HSN code and rate, from the CSV (read once)."""
    table: dict[str, RateRule] = {}
    for row in _rows(path):
        slug = row["category"].strip()
        if slug in table:
            raise ValueError(f"{path.name}: category {slug!r} appears twice")
        hsn = row["hsn"].strip()
        if not (hsn.isdigit() and len(hsn) in (4, 6, 8)):
            raise ValueError(f"{path.name}: HSN {hsn!r} for {slug!r} is not 4, 6 or 8 digits")
        threshold, above = (row.get("threshold_rupees") or "").strip(), (row.get("rate_above_percent") or "").strip()
        if bool(threshold) != bool(above):
            raise ValueError(f"{path.name}: {slug!r} needs both threshold_rupees and rate_above_percent, or neither")
        table[slug] = RateRule(category=slug, hsn=hsn, description=row["description"].strip(),
                               rate_bp=_basis_points(row["rate_percent"].strip()),
                               threshold_paise=int(Decimal(threshold) * 100) if threshold else None,
                               rate_above_bp=_basis_points(above) if above else None)
    return table


def rule_for(category_slug: str) -> RateRule:
    """The HSN row of a category; raises UnknownCategory if the data file has none."""
    try:
        return rate_table()[category_slug]
    except KeyError:
        raise UnknownCategory(f"no HSN code or GST rate for category {category_slug!r} "
                              f"in orders/data/{RATES_FILE.name}") from None


@functools.cache
def pincode_table(path: Path = PINCODES_FILE) -> dict[str, str]:
    """PIN code prefix -> two-letter state code, from the CSV (read once)."""
    table = {}
    for row in _rows(path):
        prefix, state = row["prefix"].strip(), row["state"].strip()
        if not (prefix.isdigit() and 2 <= len(prefix) <= 6) or state not in GST_STATE_CODES:
            raise ValueError(f"{path.name}: bad row {prefix!r},{state!r}")
        table[prefix] = state
    return table


def pincode_state(pincode: str) -> str | None:
    """The two-letter state of a 6-digit PIN code by its longest known prefix, or None if unknown."""
    pincode = (pincode or "").strip()
    if not (pincode.isdigit() and len(pincode) == 6):
        return None
    table = pincode_table()
    for length in range(6, 1, -1):
        state = table.get(pincode[:length])
        if state:
            return state
    return None


def gst_state_code(state: str) -> str:
    """The GST numeric code ('27') of a two-letter state code ('MH'); KeyError if it has none."""
    return GST_STATE_CODES[state]


def state_label(state: str) -> str:
    """'Maharashtra (27)': a state as invoices show the place of supply."""
    return f"{STATES.get(state, state)} ({GST_STATE_CODES.get(state, '--')})"
