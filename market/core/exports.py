"""Tables as CSV (UTF-8 with a BOM, so Excel reads Indian scripts) or XLSX (openpyxl, write-only).

A cell that a spreadsheet would read as a formula is written with a leading apostrophe, so a name like
"=HYPERLINK(...)" typed into Haat stays text on a staff laptop: one starting with = + - @ |, their full-width
forms (＝＋－＠｜, which spreadsheets fold to the ASCII ones), a tab or a carriage return, also after leading
spaces of any kind (spreadsheets trim them before looking).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from openpyxl import Workbook

FORMULA_START = ("=", "+", "-", "@", "|", "\uff1d", "\uff0b", "\uff0d", "\uff20", "\uff5c", "\t", "\r", "\n")


def safe(value):
    """The value as a cell: text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and (value.startswith(FORMULA_START) or value.lstrip().startswith(FORMULA_START)):
        return "'" + value
    return value


def rupees(paise: int) -> Decimal:
    return (Decimal(paise) / 100).quantize(Decimal("0.01"))


def per_cent(basis_points: int | None) -> Decimal | str:
    """A share in basis points as a per cent with two decimals (6,666 -> 66.66); nothing to show: empty."""
    return "" if basis_points is None else (Decimal(basis_points) / 100).quantize(Decimal("0.01"))


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe(h) for h in header])
    for row in rows:
        writer.writerow([safe(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence]]]) -> bytes:
    """A workbook with one sheet per (title, header, rows)."""
    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(_sheet_title(title))
        sheet.append([safe(h) for h in header])
        for row in rows:
            sheet.append([safe(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    """Excel refuses sheet names over 31 characters or with any of []:*?/\\."""
    return "".join(" " if c in "[]:*?/\\" else c for c in str(title))[:31] or "Haat"
