"""Requests for a quote: every move of its state machine and who may make it, expiry, several rounds of offers,
and the order an accepted quote becomes (stock taken only when it is sold from stock)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from catalog.models import Variant
from catalog.services import VariantData
from market.core import clock, events
from market.core.errors import Refusal
from orders.models import Order, QuoteOffer
from orders.quote_status import QUOTE_MOVES, QuoteStatus, can_move_quote, quote_moves
from orders.quotes import Terms, accept, decline, offer, order_from_quote, quote_actor, request_quote
from orders.services import OrderError
from orders.status import Actor
from tests.factories import gen_product, gen_user, gen_wholesaler

TODAY = clock.today()  # the shop's day (India), as the code reads it
SOON = TODAY + timedelta(days=20)
WEEK = TODAY + timedelta(days=7)
MADE = Terms(68_000, WEEK, from_stock=False, ready_by=SOON, advance_percent=30)


@pytest.fixture
def asked(session):
    product = gen_product(session, price_paise=45_000, stock=300)
    trader = gen_wholesaler(session)
    quote = request_quote(session, trader, product.variants[0].id, 200, 38_000, SOON, "for Diwali")
    return quote, trader, product.business.owners[0].user


@pytest.fixture
def kurta(session):
    """The issue's case: 50 pieces of size L asked, none of L in stock."""
    product = gen_product(session, title="Chikankari straight kurta", variants=[
        VariantData(price_paise=75_000, stock=0, size="L"), VariantData(price_paise=75_000, stock=8, size="M")])
    trader = gen_wholesaler(session)
    size_l = next(v for v in product.variants if v.size == "L")
    quote = request_quote(session, trader, size_l.id, 50, 60_000, SOON)
    return quote, trader, product.business.owners[0].user


def moved(quote):
    """Record every quote_moved event of this quote."""
    seen = []

    def receiver(_session, quote, before, after, actor):
        seen.append((before, after, actor))
    events.quote_moved.connect(receiver, weak=False)
    return seen, receiver


def test_who_may_answer(session, asked):
    quote, trader, seller = asked
    assert quote_actor(seller, quote) == Actor.SELLER
    assert quote_actor(trader, quote) == Actor.BUYER
    assert quote_actor(gen_wholesaler(session), quote) is None


def test_the_moves_each_side_has_in_each_state():
    assert quote_moves("requested", Actor.SELLER) == [QuoteStatus.OFFERED, QuoteStatus.DECLINED]
    assert quote_moves("requested", Actor.BUYER) == []
    assert quote_moves("offered", Actor.BUYER) == [QuoteStatus.COUNTERED, QuoteStatus.ACCEPTED, QuoteStatus.DECLINED]
    assert quote_moves("countered", Actor.SELLER) == [QuoteStatus.OFFERED, QuoteStatus.ACCEPTED,
                                                      QuoteStatus.DECLINED]
    assert quote_moves("accepted", Actor.BUYER) == [QuoteStatus.ORDERED]
    for done in ("declined", "ordered"):
        assert quote_moves(done, Actor.BUYER) == quote_moves(done, Actor.SELLER) == []
    assert not can_move_quote("nonsense", "accepted", Actor.SELLER)
    assert not can_move_quote("offered", "accepted", Actor.ADMIN)


ACTIONS = ("offer", "accept", "decline", "order")


@pytest.mark.parametrize(("state", "action", "actor"), [
    (state, action, actor) for state in QuoteStatus for action in ACTIONS for actor in (Actor.BUYER, Actor.SELLER)])
def test_every_move_is_allowed_or_refused(session, asked, state, action, actor):
    """Each action from each state by each side: done exactly when the table allows it, else refused with nothing
    changed and no event sent."""
    quote, trader, seller = asked
    offer(session, quote, seller, Actor.SELLER, Terms(40_000, WEEK))  # a seller's offer is on the table
    quote.status = state
    session.flush()
    target = {"offer": QuoteStatus.OFFERED if actor == Actor.SELLER else QuoteStatus.COUNTERED,
              "accept": QuoteStatus.ACCEPTED, "decline": QuoteStatus.DECLINED, "order": QuoteStatus.ORDERED}[action]
    user = seller if actor == Actor.SELLER else trader
    run = {"offer": lambda: offer(session, quote, user, actor, Terms(41_000, WEEK)),
           "accept": lambda: accept(session, quote, user, actor),
           "decline": lambda: decline(session, quote, user, actor),
           "order": lambda: order_from_quote(session, quote, user, "pickup")}[action]
    seen, receiver = moved(quote)
    try:
        if QUOTE_MOVES.get((state, target)) == actor:
            run()
            assert (quote.status, seen) == (target, [(state, target, actor)])
        else:
            with pytest.raises(Refusal):
                run()
            assert (quote.status, seen) == (state, [])
    finally:
        events.quote_moved.disconnect(receiver)


def test_several_rounds_keep_who_offered_what_and_the_agreed_terms(session, kurta):
    quote, trader, seller = kurta
    offer(session, quote, seller, Actor.SELLER, MADE)
    offer(session, quote, trader, Actor.BUYER, Terms(62_000, WEEK, note="call 98123 45678"))
    offer(session, quote, seller, Actor.SELLER, Terms(65_000, WEEK, from_stock=False, ready_by=SOON,
                                                      advance_percent=30))
    offer(session, quote, trader, Actor.BUYER, Terms(64_000, WEEK))
    accept(session, quote, seller, Actor.SELLER)
    history = [(o.side, o.actor_id, o.price_paise, o.from_stock, o.advance_percent) for o in quote.offers]
    assert history == [("seller", seller.id, 68_000, False, 30), ("buyer", trader.id, 62_000, False, 30),
                       ("seller", seller.id, 65_000, False, 30), ("buyer", trader.id, 64_000, False, 30)]
    assert quote.offers[1].note == "call […]"  # a counter-offer is a message: no contacts in it
    assert (quote.status, quote.agreed_price_paise, quote.from_stock, quote.advance_percent) == (
        "accepted", 64_000, False, 30)
    assert session.scalar(sa.select(sa.func.count()).select_from(QuoteOffer)) == 4


def test_an_offer_past_its_date_shows_expired_and_cannot_be_accepted_but_can_be_countered(session, asked):
    quote, trader, seller = asked
    offer(session, quote, seller, Actor.SELLER, Terms(40_000, TODAY + timedelta(days=1)))
    later = TODAY + timedelta(days=2)
    assert not quote.expired(TODAY + timedelta(days=1)) and quote.expired(later)
    with pytest.raises(OrderError, match="valid until"):
        accept(session, quote, trader, Actor.BUYER, today=later)
    assert quote.status == "offered"
    offer(session, quote, trader, Actor.BUYER, Terms(39_000, later + timedelta(days=3)), today=later)
    assert not quote.expired(later)
    accept(session, quote, seller, Actor.SELLER, today=later)
    assert quote.status == "accepted" and not quote.expired(later + timedelta(days=30))  # agreed: no expiry


def test_the_seller_cannot_offer_from_stock_what_she_does_not_have(session, kurta):
    quote, _trader, seller = kurta
    with pytest.raises(OrderError, match="You have 0 of size L in stock; 50 asked. Offer it made to order, or add "
                                         "stock first."):
        offer(session, quote, seller, Actor.SELLER, Terms(68_000, WEEK, from_stock=True))
    assert quote.status == "requested" and quote.offers == []


def test_made_to_order_needs_no_stock_and_the_order_carries_the_advance(session, kurta):
    quote, trader, seller = kurta
    offer(session, quote, seller, Actor.SELLER, MADE)
    accept(session, quote, trader, Actor.BUYER)
    order = order_from_quote(session, quote, trader, "pickup")
    line = order.lines[0]
    assert (order.total_paise, order.wholesale, order.advance_percent) == (50 * 68_000, True, 30)
    assert (line.quantity, line.unit_price_paise, line.option, line.made_to_order) == (50, 68_000, "L", True)
    assert session.get(Variant, quote.variant_id).stock == 0
    assert (quote.status, quote.order_id) == ("ordered", order.id)


def test_from_stock_the_order_takes_the_pieces_once(session, asked):
    quote, trader, seller = asked
    offer(session, quote, seller, Actor.SELLER, Terms(40_000, WEEK, advance_percent=50))
    accept(session, quote, trader, Actor.BUYER)
    order = order_from_quote(session, quote, trader, "pickup")
    assert (order.total_paise, order.advance_percent, order.lines[0].made_to_order) == (200 * 40_000, 50, False)
    assert session.get(Variant, quote.variant_id).stock == 100
    with pytest.raises(OrderError, match="already an order"):
        order_from_quote(session, quote, trader, "pickup")
    assert session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1


def test_from_stock_with_fewer_left_than_agreed_says_how_many_and_stays_agreed(session, asked):
    quote, trader, seller = asked
    offer(session, quote, seller, Actor.SELLER, Terms(40_000, WEEK))
    accept(session, quote, trader, Actor.BUYER)
    session.get(Variant, quote.variant_id).stock = 150  # sold elsewhere since
    session.flush()
    with pytest.raises(OrderError, match="Only 150 left"):
        order_from_quote(session, quote, trader, "pickup")


@pytest.mark.parametrize(("terms", "message"), [
    (Terms(0, WEEK), "price per piece"),
    (Terms(40_000, TODAY - timedelta(days=1)), "valid until"),
    (Terms(40_000, TODAY + timedelta(days=91)), "valid until"),
    (Terms(40_000, WEEK, advance_percent=101), "0 to 100"),
    (Terms(40_000, WEEK, from_stock=False), "ready by"),
    (Terms(40_000, WEEK, from_stock=False, ready_by=TODAY - timedelta(days=1)), "ready by"),
])
def test_bad_offers_are_refused(session, asked, terms, message):
    quote, _trader, seller = asked
    with pytest.raises(OrderError, match=message):
        offer(session, quote, seller, Actor.SELLER, terms)
    assert quote.status == "requested"


@pytest.mark.parametrize(("change", "message"), [
    ({"quantity": 0}, "between 1"), ({"target": 0}, "above zero"),
    ({"needed_by": TODAY - timedelta(days=1)}, "past"),
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
