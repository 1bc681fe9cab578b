"""Every way of paying the two parts of a wholesale order, with amounts that do not divide evenly: the parts add
up to the order to the paisa in the ledger (goods, Haat's fee, delivery), and her plan's shares follow each part."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import current_app

from market.core import ledger
from orders.quotes import order_from_quote, request_quote
from payments import parts
from payments.dues import advance_paise
from payments.services import PaymentError, captured, order_fee
from tests.factories import agree_quote, gen_product, gen_wholesaler
from vendors import finance

FEE_BPS = 250  # 2.5%: a fee that leaves odd paise


@pytest.fixture
def fee_app(session):
    """The services here run in the test session's app: its fee (settings are reset for the next test)."""
    current_app.config["PLATFORM_FEE_BPS"] = FEE_BPS
    return current_app


@pytest.mark.parametrize("advance_by", ["upi", "bank", "cash"])
@pytest.mark.parametrize("balance_by", ["upi", "bank", "cash"])
def test_the_two_parts_carry_the_whole_order_whatever_pays_them(fee_app, session, world, advance_by, balance_by):
    world.group_a.monthly_saving_paise = 100_000_00
    finance.set_shares(session, world.member_a, [finance.Share("savings", percent_bps=1000)])
    trader = gen_wholesaler(session)
    kurta = gen_product(session, world.shop_a, price_paise=99_999, stock=100)
    quote = request_quote(session, trader, kurta.variants[0].id, 7, 33_333, date.today() + timedelta(days=9))
    agree_quote(session, quote, 33_337, 33)
    order = order_from_quote(session, quote, trader, "local", ("Ravi", "4 Market Road, Pune", "411001"))
    total = 7 * 33_337 + 40_00
    assert order.total_paise == total and advance_paise(total, 33) == (total * 33 * 2 + 100) // 200

    saved_by_part = []
    for part, method in (("advance", advance_by), ("balance", balance_by)):
        before = -ledger.balance(session, ledger.member_savings(world.member_a.id))
        payment = parts.choose(session, order, trader, part, method,
                               {"advance": "123456789012", "balance": "ICIC4261234567890123AB"}[part]
                               if method == "bank" else "")
        if method == "upi":
            captured(session, payment, f"pay_{part}", 0, "webhook")
        else:
            parts.confirm(session, payment, world.member_a.user)
        with pytest.raises(PaymentError):  # confirmed again, or a UPI part by hand: refused, nothing changes
            parts.confirm(session, payment, world.member_a.user)
        saved_by_part.append(-ledger.balance(session, ledger.member_savings(world.member_a.id)) - before)

    shop = world.shop_a.id
    fees = -ledger.balance(session, ledger.PLATFORM_FEES)
    income = -ledger.balance(session, ledger.payable(shop)) - ledger.balance(session, ledger.cash_sales(shop))
    from_cash = ledger.balance(session, ledger.set_aside(shop))  # her shares of cash parts, set aside from it
    # What her shop earned plus Haat's fee is the goods exactly (her shares of online parts left payable: back in)
    assert income + fees + (sum(saved_by_part) - from_cash) == order.subtotal_paise
    # ...Haat's fee is on the parts paid online or by transfer only, each its share of the whole fee...
    assert fees <= order_fee(order) and (fees == order_fee(order)) == ("cash" not in (advance_by, balance_by))
    # ...the delivery charge is carried in full, and the money in is the total.
    assert ledger.balance(session, ledger.delivery(shop)) == -40_00
    money_in = sum(ledger.balance(session, code) for code in
                   ("gateway:demo", "gateway:bank", ledger.cash(shop)))
    assert money_in == total
    assert all(share > 0 for share in saved_by_part)
    assert ledger.unbalanced_entries(session) == []
