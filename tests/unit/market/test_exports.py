"""Spreadsheet exports: a cell a spreadsheet would run as a formula is written as text, in CSV and XLSX."""

import csv
import io

import pytest
from openpyxl import load_workbook

from market.core.exports import csv_bytes, xlsx_bytes

FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", "＝1+1", "＋1+1", "－1+1", "＠SUM(A1)",
            "|calc", " =1+1", "\u3000=1+1", "\u00a0+1", " \t-1", "\n=1+1"]


@pytest.mark.parametrize("text", FORMULAS)
def test_a_cell_that_a_spreadsheet_would_run_starts_with_an_apostrophe_in_csv_and_xlsx(text):
    row = list(csv.reader(io.StringIO(csv_bytes(["Name"], [[text]]).decode("utf-8-sig"))))[1]
    assert row[0] == "'" + text
    book = load_workbook(io.BytesIO(xlsx_bytes([("Sheet", ["Name"], [[text]])])), read_only=True)
    cell = next(book["Sheet"].iter_rows(min_row=2, values_only=True))[0]
    assert cell == "'" + text.replace("\r", "\n")  # openpyxl reads a carriage return back as a line feed


@pytest.mark.parametrize("text", ["Papad", "Rs 50 - 60", "a=b", "", "9-yard saree"])
def test_ordinary_text_and_numbers_are_left_as_they_are(text):
    row = list(csv.reader(io.StringIO(csv_bytes(["Name", "n"], [[text, -5]]).decode("utf-8-sig"))))[1]
    assert row == [text, "-5"]
