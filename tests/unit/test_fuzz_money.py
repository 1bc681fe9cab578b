"""Properties of money, all in integer paise: rupees typed by people and shown back to them, wholesale unit
prices and the cart's totals, and the splits of a sale or a refund over categories and over a loan's
instalments.

The ledger, loans and the allocation of sales to a member's plan have their own properties in
tests/unit/payments/test_ledger.py, tests/unit/vendors/test_loans.py and tests/functional/vendors/test_money.py;
the tax split of an invoice in tests/unit/orders/test_invoices.py.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.forms import RupeeField
from market import create_app
from market.core.config import LOCALES
from market.core.money import MAX_PAISE, MoneyError, format_inr, parse_rupees
from market.reports.rollups import order_parts
from orders.services import DELIVERY_FEES, Quote, QuotedLine, QuotedShop, unit_price
from tests.conftest import TEST_CONFIG, examples

PURE = settings(max_examples=examples(200), derandomize=True)  # pure functions: cheap, so twice the profile's
paise = st.integers(0, MAX_PAISE)
locales = st.sampled_from(sorted(LOCALES) + ["mr_IN", "kn_IN"])


@pytest.fixture(scope="module")
def app():
    """An app for translated messages only: its database is never opened."""
    return create_app({**TEST_CONFIG, "DATABASE_URL": "sqlite://"})


# -- rupees typed and shown --------------------------------------------------------------------------------------

@PURE
@given(amount=paise, locale=locales)
def test_what_is_shown_reads_back_as_the_same_paise(amount, locale):
    assert parse_rupees(format_inr(amount, locale)) == amount


@PURE
@given(amount=paise)
def test_what_a_form_shows_back_reads_as_the_same_paise(amount):
    shown = RupeeField._value(SimpleNamespace(raw_data=None, data=amount))  # the edit page's value="..."
    assert parse_rupees(shown) == amount


@PURE
@given(rupees=st.integers(0, MAX_PAISE // 100), paisa=st.integers(0, 99), cuts=st.lists(st.integers(0, 12)),
       spaces=st.booleans(), symbol=st.sampled_from(["", "₹", "Rs", "Rs."]))
def test_commas_anywhere_and_a_currency_sign_do_not_change_the_amount(rupees, paisa, cuts, spaces, symbol):
    digits = str(rupees)
    for cut in sorted(set(cuts), reverse=True):
        digits = digits[:cut] + "," + digits[cut:]
    typed = f"{symbol}{' ' if spaces else ''}{digits}.{paisa:02d}{' ' if spaces else ''}"
    if rupees * 100 + paisa <= MAX_PAISE:
        assert parse_rupees(typed) == rupees * 100 + paisa


GARBAGE = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",))),
    st.from_regex(r"\A[-+₹Rs., 0-9eE_]{0,30}\Z"),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
    st.sampled_from(["1e999999", "-1e999999", "sNaN", "9" * 5000, "1e-999999", "0e999999", "²", "١٢٣", "१२३.४५"]),
)


@PURE
@given(text=GARBAGE)
def test_anything_typed_is_paise_within_limits_or_a_clear_refusal(app, text):
    with app.test_request_context(headers={"Cookie": "lang=hi"}):
        try:
            amount = parse_rupees(text)
        except MoneyError as exc:
            assert str(exc)  # a message for her, in her language
            return
    assert isinstance(amount, int) and 0 <= amount <= MAX_PAISE


@pytest.mark.parametrize("bad", [1.5, "100", True, None, 2.0])
def test_only_int_paise_can_be_shown(bad):
    with pytest.raises(TypeError):
        format_inr(bad)


# -- wholesale prices and the cart's total -----------------------------------------------------------------------

@st.composite
def catalogued_tiers(draw):
    """A retail price and wholesale tiers as the catalogue accepts them: more pieces, a lower price."""
    retail = draw(st.integers(1, 10**9))
    quantities = sorted(draw(st.sets(st.integers(2, 100_000), max_size=5)))
    if retail <= len(quantities):  # too cheap to have that many lower prices
        quantities = []
    prices = sorted(draw(st.sets(st.integers(1, max(1, retail - 1)), min_size=len(quantities),
                                 max_size=len(quantities))), reverse=True)
    return retail, list(zip(quantities, prices, strict=False))


@PURE
@given(priced=catalogued_tiers(), quantity=st.integers(1, 100_000), more=st.integers(0, 100_000),
       wholesale=st.booleans())
def test_a_unit_price_is_never_above_the_price_and_never_rises_with_quantity(priced, quantity, more, wholesale):
    retail, tiers = priced
    price = unit_price(retail, tiers, quantity, wholesale)
    assert 0 < price <= retail
    assert unit_price(retail, tiers, quantity + more, wholesale) <= price
    if not wholesale:
        assert price == retail
    else:
        reached = [p for q, p in tiers if quantity >= q]
        assert price == min([retail, *reached])


@PURE
@given(retail=st.integers(1, 10**9), tiers=st.lists(st.tuples(st.integers(-5, 1000), st.integers(-5, 2 * 10**9))),
       quantity=st.integers(0, 10**6))
def test_even_tiers_the_catalogue_would_refuse_never_raise_the_price(retail, tiers, quantity):
    assert unit_price(retail, tiers, quantity, True) <= retail


line = st.builds(lambda q, u: QuotedLine(variant=None, quantity=q, unit_price_paise=u),
                 st.integers(1, 10_000), st.integers(1, 10**7))


@PURE
@given(shops=st.lists(st.lists(line, min_size=1, max_size=4), max_size=4), data=st.data())
def test_a_cart_total_is_its_lines_plus_each_shops_delivery_fee(shops, data):
    quoted = [QuotedShop(SimpleNamespace(id=n), lines) for n, lines in enumerate(shops)]
    cart = Quote(quoted, [], wholesale=False)
    methods = {n: data.draw(st.sampled_from(sorted(DELIVERY_FEES))) for n in range(len(shops))
               if data.draw(st.booleans())}  # a shop left out is collected (pickup)
    lines_total = sum(x.quantity * x.unit_price_paise for lines in shops for x in lines)
    assert cart.subtotal_paise == lines_total == sum(s.subtotal_paise for s in quoted)
    assert cart.total_paise(methods) == lines_total + sum(DELIVERY_FEES[methods.get(n, "pickup")]
                                                          for n in range(len(shops)))
    assert cart.total_paise({}) == lines_total  # pickup everywhere costs nothing more


# -- splits: a sale or a refund over the categories of an order ----------------------------------------------------

@st.composite
def orders(draw):
    """An order-like object: lines of some categories and totals, maybe a delivery fee."""
    lines = draw(st.lists(st.builds(lambda c, t: SimpleNamespace(product=SimpleNamespace(category_id=c),
                                                                 line_total_paise=t),
                                    st.integers(1, 30), st.integers(0, 10**9)), min_size=1, max_size=6))
    return SimpleNamespace(lines=lines, delivery_fee_paise=draw(st.sampled_from(sorted(DELIVERY_FEES.values()))))


@PURE
@given(order=orders(), amount=st.integers(-(10**10), 10**10))
def test_an_amount_split_over_categories_adds_up_and_keeps_its_sign(order, amount):
    parts = order_parts(order, amount)
    assert sum(p for _c, p in parts) == amount
    assert all(p >= 0 for _c, p in parts) if amount >= 0 else all(p <= 0 for _c, p in parts)
    expected = [line.product.category_id for line in order.lines]  # the delivery charge is not a sale: no OTHER
    assert [c for c, _p in parts] == expected


@PURE
@given(order=orders(), amount=st.integers(0, 10**10))
def test_a_full_refund_cancels_the_sale_in_every_category(order, amount):
    sale, refund = order_parts(order, amount), order_parts(order, -amount)
    assert [(c, -p) for c, p in refund] == sale


@PURE
@given(order=orders(), amount=st.integers(0, 10**10))
def test_no_category_gets_more_than_its_share_and_a_paisa_per_line(order, amount):
    parts = order_parts(order, amount)
    weights = [line.line_total_paise for line in order.lines]  # goods only: the delivery charge is not a sale
    whole = sum(weights)
    if whole:
        for (_c, part), weight in zip(parts, weights, strict=True):
            assert abs(part * whole - amount * weight) <= len(weights) * whole


# -- Haat's fee given back with a refund ---------------------------------------------------------------------------

@st.composite
def refunds(draw):
    """An order total, Haat's fee rate, and refunds that together return at most the whole order."""
    total = draw(st.integers(1, 10**9))
    parts, left = [], total
    for _ in range(draw(st.integers(1, 5))):
        if not left:
            break
        parts.append(draw(st.integers(1, left)))
        left -= parts[-1]
    if left and draw(st.booleans()):  # often the parts add up to the whole order
        parts.append(left)
    return total, draw(st.integers(0, 2_000)), parts


@PURE
@given(case=refunds())
def test_the_fee_given_back_is_in_proportion_and_never_more_than_was_taken(app, case):
    from payments.services import fee_given_back, platform_fee

    total, rate, parts = case
    app.config["PLATFORM_FEE_BPS"] = rate
    with app.app_context():
        order = SimpleNamespace(total_paise=total, subtotal_paise=total, delivery_fee_paise=0)  # goods only
        fee = platform_fee(total)
        given = [fee_given_back(order, amount, sum(parts[:n])) for n, amount in enumerate(parts)]
        assert 0 <= fee <= total and fee_given_back(order, total) == fee  # a whole refund gives all of it back
        assert given[0] == fee_given_back(order, parts[0]) == fee * parts[0] // total  # the first, or only, one
        for n, (amount, back) in enumerate(zip(parts, given, strict=True)):
            assert 0 <= back <= min(fee, amount)
            so_far, back_so_far = sum(parts[:n + 1]), sum(given[:n + 1])
            assert back_so_far * total <= fee * so_far < (back_so_far + 1) * total  # all so far, rounded down once
        if sum(parts) == total:  # parts that add up to the whole order give back the whole fee, to the paisa
            assert sum(given) == fee
