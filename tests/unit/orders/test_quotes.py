"""Requests for a quote: every move, who may make it, and the order an accepted quote becomes."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from catalog.models import Variant
from orders.models import Order
from orders.quotes import QUOTE_MOVES, answer, order_from_quote, quote_actor, request_quote
from orders.services import OrderError
from orders.status import Actor
from tests.factories import gen_product, gen_user, gen_wholesaler

SOON = date.today() + timedelta(days=20)


@pytest.fixture
def asked(session):
    product = gen_product(session, price_paise=45_000, stock=300)
    trader = gen_wholesaler(session)
    quote = request_quote(session, trader, product.variants[0].id, 200, 38_000, SOON, "for Diwali")
    return quote, trader, product.business.owners[0].user


def test_who_may_answer(session, asked):
    quote, trader, seller = asked
    assert quote_actor(seller, quote) == Actor.SELLER
    assert quote_actor(trader, quote) == Actor.BUYER
    assert quote_actor(gen_wholesaler(session), quote) is None


def test_the_seller_counters_the_buyer_accepts_and_it_becomes_an_order(session, asked):
    quote, trader, _seller = asked
    with pytest.raises(OrderError):
        answer(session, quote, Actor.BUYER, "accepted")  # the buyer cannot accept her own request
    answer(session, quote, Actor.SELLER, "countered", 40_000)
    answer(session, quote, Actor.BUYER, "accepted")
    order = order_from_quote(session, quote, trader, "pickup")
    assert (order.total_paise, order.wholesale, order.lines[0].unit_price_paise) == (200 * 40_000, True, 40_000)
    assert session.get(Variant, quote.variant_id).stock == 100
    with pytest.raises(OrderError):
        order_from_quote(session, quote, trader, "pickup")
    assert session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1


def test_a_declined_quote_cannot_be_ordered(session, asked):
    quote, trader, _seller = asked
    answer(session, quote, Actor.SELLER, "declined")
    with pytest.raises(OrderError):
        order_from_quote(session, quote, trader, "pickup")
    with pytest.raises(OrderError):
        answer(session, quote, Actor.SELLER, "accepted")


@pytest.mark.parametrize(("state", "target", "actor"), [
    (a, b, who) for a in ("requested", "countered", "accepted", "declined", "ordered")
    for b in ("countered", "accepted", "declined") for who in (Actor.BUYER, Actor.SELLER)])
def test_every_answer_is_allowed_or_refused(session, asked, state, target, actor):
    quote = asked[0]
    quote.status = state
    if QUOTE_MOVES.get((state, target)) == actor:
        answer(session, quote, actor, target, 40_000)
        assert quote.status == target
    else:
        with pytest.raises(OrderError):
            answer(session, quote, actor, target, 40_000)
        assert quote.status == state


@pytest.mark.parametrize(("change", "message"), [
    ({"quantity": 0}, "between 1"), ({"target": 0}, "above zero"),
    ({"needed_by": date.today() - timedelta(days=1)}, "past"),
])
def test_bad_requests_are_refused(session, change, message):
    product = gen_product(session)
    values = {"quantity": 10, "target": 40_000, "needed_by": SOON, **change}
    with pytest.raises(OrderError, match=message):
        request_quote(session, gen_wholesaler(session), product.variants[0].id, values["quantity"],
                      values["target"], values["needed_by"])


def test_only_wholesalers_ask_for_quotes(session):
    product = gen_product(session)
    with pytest.raises(OrderError, match="wholesale"):
        request_quote(session, gen_user(session), product.variants[0].id, 10, 100, SOON)


def test_a_wholesaler_waiting_for_approval_cannot_ask_yet(session):
    product = gen_product(session)
    with pytest.raises(OrderError, match="approved"):
        request_quote(session, gen_wholesaler(session, approved=False), product.variants[0].id, 10, 100, SOON)


def test_a_contact_in_a_quote_note_is_hidden_and_the_e_mail_about_it_carries_none(session):
    """The wholesaler's note reaches the seller without his number or address (and hers never reaches him);
    a notification e-mail goes through the same hiding, whatever text it was given."""
    from market.core.notifications import Notification, notify

    product = gen_product(session, price_paise=45_000, stock=300)
    trader = gen_wholesaler(session)
    quote = request_quote(session, trader, product.variants[0].id, 200, 38_000, SOON,
                          "for Diwali, call 98123.45678 or trader [at] gmail [dot] com")
    assert quote.note == "for Diwali, call […] or […]"
    seller = product.business.owners[0].user
    notify(session, [seller], "Order H-000123 for ₹ 12,000: call ९८१२३ ४५६७८", "pay asha@okhdfcbank by 12/12/2026")
    sent = session.scalars(sa.select(Notification).where(Notification.user_id == seller.id)
                           .order_by(Notification.id.desc())).first()
    assert (sent.subject, sent.body) == ("Order H-000123 for ₹ 12,000: call […]", "pay […] by 12/12/2026")
