import pytest

from market.core.config import LOCALES
from market.core.money import MoneyError, format_count, format_inr, parse_rupees


@pytest.mark.parametrize("locale", list(LOCALES) + ["mr_IN", "kn_IN"])
def test_rupees_group_in_lakhs_in_every_locale(locale):
    assert format_inr(12_345_678, locale).endswith("1,23,456.78")
    assert format_count(123_456, locale) == "1,23,456"


def test_small_amounts_keep_two_decimals():
    assert format_inr(5, "en_IN") == "₹0.05"
    assert format_inr(0, "en_IN") == "₹0.00"


@pytest.mark.parametrize("bad", [12.5, "100", True, None])
def test_money_must_be_integer_paise(bad):
    with pytest.raises(TypeError):
        format_inr(bad)


@pytest.mark.parametrize(("typed", "paise"), [
    ("250", 25_000), ("250.5", 25_050), ("1,23,456.78", 12_345_678), (" ₹ 99 ", 9_900), ("Rs. 10", 1_000),
    ("0", 0), ("0.01", 1),
])
def test_parse_rupees(typed, paise):
    assert parse_rupees(typed) == paise


@pytest.mark.parametrize("typed", ["", "abc", "1.234", "-5", "NaN", "Infinity", "1e20", "12..5"])
def test_parse_rupees_rejects_with_a_message(typed):
    with pytest.raises(MoneyError) as exc:
        parse_rupees(typed)
    assert str(exc.value)
