"""Quote pages: a wholesaler asks from the product page; the seller answers from her phone."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from catalog.models import Product
from market.core import clock, db
from market.core.errors import Refusal
from market.core.models import Role
from market.core.money import MoneyError, parse_rupees
from market.core.permissions import role_required
from orders.models import QuoteRequest
from orders.quotes import Terms, accept, decline, offer, order_from_quote, quote_actor, request_quote, stock_warning
from orders.services import DELIVERY_FEES, OrderError, is_approved_wholesaler
from orders.status import Actor
from vendors.services import member_for_user

quotes = Blueprint("quotes", __name__, url_prefix="/quotes")


def _rupees(name: str) -> int:
    try:
        return parse_rupees(request.form.get(name, ""))
    except MoneyError as exc:
        raise OrderError(str(exc)) from exc


def _date(name: str, message: str | None = None) -> date:
    try:
        return date.fromisoformat(request.form.get(name, ""))
    except ValueError as exc:
        raise OrderError(message or _("Choose the date you need it by.")) from exc


def _terms(actor: Actor) -> Terms:
    """The offer as typed: the seller's whole terms, or the buyer's price and how long it holds."""
    price = _rupees("price")
    valid_until = _date("valid_until", _("Choose the date your offer is valid until."))
    note = request.form.get("note", "")
    if actor == Actor.BUYER:
        return Terms(price, valid_until, note=note)
    from_stock = request.form.get("supply") != "made"
    ready_by = None if from_stock else _date("ready_by", _("Choose the date it will be ready by."))
    advance = request.form.get("advance_percent", "").strip() or "0"
    if not (advance.isascii() and advance.isdigit()):
        raise OrderError(_("Write the advance as a number, like 30."))
    return Terms(price, valid_until, from_stock, ready_by, int(advance[:4]), note)


def _typed_rupees(paise: int) -> str:
    """Paise as one would type them in a price box: 680, or 680.50."""
    return str(paise // 100) if paise % 100 == 0 else f"{paise // 100}.{paise % 100:02d}"


def _defaults(quote: QuoteRequest, actor: Actor) -> dict[str, str]:
    """What the page's forms start with: the last terms on the table, her stock, a week to answer."""
    today = clock.today()
    hers = next((o for o in reversed(quote.offers) if o.side == "seller"), None)
    values = {"valid_until": (today + timedelta(days=7)).isoformat(), "delivery": "pickup"}
    if actor == Actor.SELLER:
        enough = not quote.variant.product.made_to_order and quote.variant.stock >= quote.quantity
        values.update(price=_typed_rupees(quote.agreed_price_paise),
                      supply=("stock" if hers.from_stock else "made") if hers else ("stock" if enough else "made"),
                      ready_by=(hers.ready_by or quote.needed_by).isoformat() if hers else quote.needed_by.isoformat(),
                      advance_percent=str(hers.advance_percent) if hers else "0")
    return values


def _page(quote: QuoteRequest, actor: Actor, values=None):
    """The quote page; shown again after a refusal with what was typed (`values`, the posted form)."""
    return render_template("orders/quote_show.html", quote=quote, actor=actor, fees=DELIVERY_FEES,
                           values=values if values is not None else _defaults(quote, actor),
                           today=clock.today(), warning=stock_warning(quote) if actor == Actor.SELLER else None,
                           expired=quote.expired(clock.today()))


@quotes.route("/new/<int:product_id>", methods=["GET", "POST"])
@role_required(Role.WHOLESALER)
def new(product_id: int):
    product = db.session.get(Product, product_id)
    if product is None or not product.listed:
        abort(404)
    if request.method == "POST":
        try:
            quote = request_quote(db.session, current_user, request.form.get("variant", type=int) or 0,
                                  request.form.get("quantity", type=int) or 0, _rupees("target_price"),
                                  _date("needed_by"), request.form.get("note", ""))
        except Refusal as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Your request is sent. The seller will answer here."), "success")
            return redirect(url_for("quotes.show", quote_id=quote.id))
    return render_template("orders/quote_new.html", product=product, today=clock.today().isoformat(),
                           waiting=not is_approved_wholesaler(db.session, current_user))


@quotes.get("/")
@login_required
def mine():
    if current_user.role == Role.ENTREPRENEUR:
        member = member_for_user(db.session, current_user)
        shop_ids = [b.id for b in member.businesses] if member else []
        where = QuoteRequest.business_id.in_(shop_ids or [-1])
    elif current_user.role == Role.WHOLESALER:
        where = QuoteRequest.buyer_id == current_user.id
    else:
        abort(403)
    items = db.session.scalars(sa.select(QuoteRequest).where(where).options(selectinload(QuoteRequest.offers))
                               .order_by(QuoteRequest.id.desc()).limit(100))
    return render_template("orders/quotes.html", quotes=list(items), seller=current_user.role == Role.ENTREPRENEUR,
                           today=clock.today())


def _quote_for_me(quote_id: int):
    quote = db.session.get(QuoteRequest, quote_id) or abort(404)
    actor = quote_actor(current_user, quote)
    if actor is None:
        abort(404)
    return quote, actor


@quotes.get("/<int:quote_id>")
@login_required
def show(quote_id: int):
    quote, actor = _quote_for_me(quote_id)
    return _page(quote, actor)


@quotes.post("/<int:quote_id>/answer")
@login_required
def respond(quote_id: int):
    quote, actor = _quote_for_me(quote_id)
    decision = request.form.get("decision", "")
    try:
        if decision in ("offer", "offered", "countered"):
            offer(db.session, quote, current_user, actor, _terms(actor))
        elif decision == "accepted":
            accept(db.session, quote, current_user, actor)
        else:
            decline(db.session, quote, current_user, actor)
    except Refusal as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _page(quote, actor, request.form)
    db.session.commit()
    flash(_("Answer sent."), "success")
    return redirect(url_for("quotes.show", quote_id=quote.id))


@quotes.post("/<int:quote_id>/order")
@login_required
def order(quote_id: int):
    quote, actor = _quote_for_me(quote_id)
    ship_to = (request.form.get("ship_name", ""), request.form.get("ship_address", ""),
               request.form.get("ship_pincode", ""))
    try:
        placed = order_from_quote(db.session, quote, current_user, request.form.get("delivery", ""), ship_to)
    except Refusal as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _page(quote, actor, request.form)
    db.session.commit()
    flash(_("Order placed from your quote."), "success")
    return redirect(url_for("orders.show", order_id=placed.id))
