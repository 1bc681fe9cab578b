"""A wholesale order paid in parts: the amounts of the advance and the balance to the paisa, each part's share of
the goods, Haat's fee and the delivery charge, and the shape of a bank transfer's UTR. Pure: no database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.dues import UtrError, advance_paise, parts_due, share_of, utr


@pytest.mark.parametrize(("total", "percent", "advance"), [
    (34_080_00, 30, 10_224_00),
    (1_001, 30, 300),      # 300.3 paise: down
    (1_005, 30, 302),      # 301.5 paise: half up
    (99, 50, 50),          # 49.5 paise: half up
    (12_345, 0, 0),
    (12_345, 100, 12_345),
])
def test_the_advance_is_its_percent_of_the_total_rounded_half_up_to_the_paisa(total, percent, advance):
    assert advance_paise(total, percent) == advance


@given(st.integers(0, 10**13), st.integers(0, 100))
def test_advance_and_balance_add_up_to_the_total(total, percent):
    parts = dict(parts_due(total, percent))
    assert sum(parts.values()) == total
    assert all(amount > 0 for amount in parts.values())
    assert parts.get("advance", 0) == advance_paise(total, percent)


def test_no_advance_is_one_balance_and_all_in_advance_is_one_advance():
    assert parts_due(50_000, 0) == [("balance", 50_000)]
    assert parts_due(50_000, 100) == [("advance", 50_000)]
    assert parts_due(50_000, 30) == [("advance", 15_000), ("balance", 35_000)]


@pytest.mark.parametrize("percent", [-1, 101])
def test_a_percent_outside_0_to_100_is_a_bug(percent):
    with pytest.raises(ValueError):
        advance_paise(1000, percent)


@given(st.integers(1, 10**12), st.integers(0, 10**9), st.integers(0, 100), st.booleans())
def test_the_parts_shares_of_fee_goods_and_delivery_add_up_to_the_whole_in_either_order(total, whole, percent,
                                                                                        balance_first):
    whole = min(whole, total)
    parts = [amount for _part, amount in parts_due(total, percent)]
    if balance_first:
        parts.reverse()
    before, shares = 0, []
    for amount in parts:
        shares.append(share_of(whole, total, amount, before))
        before += amount
    assert sum(shares) == whole
    assert all(0 <= s <= a for s, a in zip(shares, parts, strict=True))


@pytest.mark.parametrize(("typed", "kept"), [
    ("123456789012", "123456789012"),                    # IMPS / UPI: the 12-digit RRN
    ("1234 5678 9012", "123456789012"),                  # as some apps group it
    ("SBIN426123456789", "SBIN426123456789"),            # NEFT: 16 (bank code, then the reference)
    ("hdfcn52026120712", "HDFCN52026120712"),            # typed in small letters
    ("HDFCR52026120712345678", "HDFCR52026120712345678"),  # RTGS: 22 (bank, R, channel, date, serial)
    ("UTIB-R5-2026-1207-1234-5678", "UTIBR52026120712345678"),
])
def test_a_utr_of_a_real_shape_is_kept_in_capitals_without_spaces(typed, kept):
    assert utr(typed) == kept


@pytest.mark.parametrize("typed", [
    "", "12345678901",            # 11 digits
    "1234567890123",             # 13 digits
    "SBIN42612345678",           # 15
    "SBIN4261234567890",         # 17
    "HDFCR5202612071234567",     # 21
    "HDFCR520261207123456789",   # 23
    "ABCDEFGHIJKLMNOP",          # 16 letters, no number: not a reference
    "SBIN4261234567/9",          # a stray character
    "१२३४५६७८९०१२",               # Devanagari digits: the bank's statement prints ASCII
])
def test_a_utr_of_any_other_shape_is_refused(typed):
    with pytest.raises(UtrError):
        utr(typed)
