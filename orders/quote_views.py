"""Quote pages: a wholesaler asks from the product page; the seller answers from her phone."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from catalog.models import Product
from market.core import clock, db
from market.core.models import Role
from market.core.money import MoneyError, parse_rupees
from market.core.permissions import role_required
from orders.models import QuoteRequest
from orders.quotes import answer, order_from_quote, quote_actor, request_quote
from orders.services import DELIVERY_FEES, OrderError, is_approved_wholesaler
from vendors.services import member_for_user

quotes = Blueprint("quotes", __name__, url_prefix="/quotes")


def _rupees(name: str) -> int:
    try:
        return parse_rupees(request.form.get(name, ""))
    except MoneyError as exc:
        raise OrderError(str(exc)) from exc


def _date(name: str) -> date:
    try:
        return date.fromisoformat(request.form.get(name, ""))
    except ValueError as exc:
        raise OrderError(_("Choose the date you need it by.")) from exc


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
        except OrderError as exc:
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
    items = db.session.scalars(sa.select(QuoteRequest).where(where).order_by(QuoteRequest.id.desc()).limit(100))
    return render_template("orders/quotes.html", quotes=list(items))


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
    return render_template("orders/quote_show.html", quote=quote, actor=actor, fees=DELIVERY_FEES)


@quotes.post("/<int:quote_id>/answer")
@login_required
def respond(quote_id: int):
    quote, actor = _quote_for_me(quote_id)
    decision = request.form.get("decision", "")
    try:
        counter = _rupees("counter_price") if decision == "countered" else None
        answer(db.session, quote, actor, decision, counter)
    except OrderError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Answer sent."), "success")
    return redirect(url_for("quotes.show", quote_id=quote.id))


@quotes.post("/<int:quote_id>/order")
@login_required
def order(quote_id: int):
    quote, _actor = _quote_for_me(quote_id)
    ship_to = (request.form.get("ship_name", ""), request.form.get("ship_address", ""),
               request.form.get("ship_pincode", ""))
    try:
        placed = order_from_quote(db.session, quote, current_user, request.form.get("delivery", ""), ship_to)
    except OrderError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("quotes.show", quote_id=quote.id))
    db.session.commit()
    flash(_("Order placed from your quote."), "success")
    return redirect(url_for("orders.show", order_id=placed.id))
