"""Cart and checkout for buyers, order pages for buyers and sellers, the seller's order screen."""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, user_logged_in
from sqlalchemy.orm import selectinload

from market.core import db
from market.core.accounts import audit
from market.core.db import utcnow
from market.core.errors import Refusal
from market.core.models import Role
from market.core.notifications import without_unread_count
from market.core.permissions import role_required
from market.flows import checkout as checkout_flow
from market.flows import order_moves
from orders.forms import AddToCartForm, CheckoutForm, MessageForm
from orders.invoices.issue import issue_invoice, may_invoice, proforma_invoice
from orders.invoices.models import InvoiceError
from orders.invoices.pdf import render_pdf
from orders.models import Checkout, Order, QuoteRequest, WholesalerProfile
from orders.services import (
    BILLING_ADDRESS_NEEDED,
    DELIVERY_FEES,
    AlreadyPlaced,
    Delivery,
    OrderError,
    across_states_message,
    across_states_unregistered,
    actor_for,
    cart_for,
    check_tracking,
    decide_wholesaler,
    last_word_from_buyer,
    merge_guest_cart,
    needs_billing_address,
    post_message,
    quote,
    reorder,
    set_quantity,
    set_wholesaler_gstin,
)
from orders.status import OPEN, Actor, OrderStatus, next_moves, refuse_move
from payments import gateways as payment_gateways
from payments.models import Payment
from payments.services import (
    PaymentError,
    accepts,
    awaiting_payment,
    may_accept,
    may_dispatch,
    parts_of,
    payment_for,
    payments_for,
    waiting_to_send,
)
from payments.status import MONEY_TAKEN
from vendors.services import member_for_user

orders = Blueprint("orders", __name__)
CART_COOKIE = "cart"


def _cart(create: bool = False, priced: bool = False):
    cart = cart_for(db.session, current_user, request.cookies.get(CART_COOKIE), create=create, priced=priced)
    if cart is not None and cart.user_id is None and request.cookies.get(CART_COOKIE) != cart.token:
        g.new_cart_token = cart.token
    return cart


@orders.after_app_request
def remember_guest_cart(response):
    token = g.pop("new_cart_token", None)
    if token:
        response.set_cookie(CART_COOKIE, token, max_age=60 * 60 * 24 * 30, httponly=True, samesite="Lax",
                            secure=current_app.config["ENV"] == "production")
    return response


@user_logged_in.connect
def _merge_cart_on_login(app, user, **_extra):
    from flask import has_request_context

    if has_request_context() and request.cookies.get(CART_COOKIE):
        merge_guest_cart(db.session, user, request.cookies.get(CART_COOKIE))
        db.session.commit()


@orders.post("/cart/add")
def add_to_cart():
    form = AddToCartForm()
    if not form.validate_on_submit():
        said = form.quantity.errors or form.variant.errors  # why, when a field can say it
        flash(said[0] if said else _("Choose an option and how many."), "error")
        return redirect(request.referrer if _local(request.referrer) else url_for("main.home"))
    cart = _cart(create=True)
    current = next((i.quantity for i in cart.items if i.variant_id == form.variant.data), 0)
    try:
        set_quantity(db.session, cart, form.variant.data, current + form.quantity.data)
    except OrderError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(request.referrer if _local(request.referrer) else url_for("main.home"))
    db.session.commit()
    flash(_("Added to your cart."), "success")
    return redirect(url_for("orders.cart"))


def _local(url: str | None) -> bool:
    return url is not None and url.startswith(request.host_url)


@orders.get("/cart")
def cart():
    current = quote(db.session, _cart(), current_user)
    return render_template("orders/cart.html", quote=current)


@orders.post("/cart/items/<int:variant_id>")
def update_cart(variant_id: int):
    cart = _cart() or abort(404)
    quantity = request.form.get("quantity", type=int)
    if quantity is None or request.form.get("remove"):
        quantity = 0
    try:
        set_quantity(db.session, cart, variant_id, quantity)
    except OrderError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
    return redirect(url_for("orders.cart"))


@orders.route("/checkout", methods=["GET", "POST"])
@login_required
def checkout():
    without_unread_count()  # the bell without its count: a query fewer on the page buyers wait for
    cart = _cart(priced=True)  # with what pricing it needs: one query for the cart and its quote
    current = quote(db.session, cart, current_user, photos=False)
    if not current.shops:  # a second press of "Place order" finds the cart the first one emptied
        done = _placed_with(request.form.get("key", "")) if request.method == "POST" else None
        return redirect(url_for("orders.placed", checkout_id=done) if done else url_for("orders.cart"))
    form = CheckoutForm()
    if payment_gateways.card() is None:
        form.pay_with.choices = [c for c in form.pay_with.choices if c.value != "card"]
    methods = {s.business.id: request.form.get(f"delivery-{s.business.id}", "pickup") for s in current.shops}
    if form.validate_on_submit() and "place" in request.form:  # "Check total" only re-prices
        delivery = Delivery(methods, form.ship_name.data or "", form.ship_address.data or "",
                            (form.ship_pincode.data or "").strip())
        try:
            online = form.pay_with.data != "cash"
            placed = checkout_flow.place(db.session, current_user, cart, form.key.data, delivery,
                                         form.expected_total.data, current, form.pay_with.data)
        except AlreadyPlaced as exc:
            db.session.rollback()
            done = exc.checkout_id or _placed_with(form.key.data)
            return redirect(url_for("orders.placed", checkout_id=done) if done else url_for("orders.history"))
        except (OrderError, PaymentError) as exc:
            db.session.rollback()
            if done := _placed_with(form.key.data):  # an old page pressed again after more went in the cart
                return redirect(url_for("orders.placed", checkout_id=done))
            flash(str(exc), "error")
            current = quote(db.session, cart, current_user, photos=False)
        else:
            db.session.commit()
            return redirect(url_for("payments.pay" if online else "orders.placed", checkout_id=placed.id))
    form.key.data = secrets.token_urlsafe(24)  # a new key for each look at the total
    form.expected_total.data = current.total_paise(methods)
    form.expected_total.raw_data = None  # else the hidden field shows the total sent, not the one she now sees
    across = {b.id: across_states_message(b) for b in across_states_unregistered(
        current, methods, form.ship_pincode.data or "")}
    return render_template("orders/checkout.html", form=form, quote=current, methods=methods, fees=DELIVERY_FEES,
                           across=across, billing=BILLING_ADDRESS_NEEDED if needs_billing_address(current, methods)
                           else None)


@orders.app_template_global()
def wholesaler_gstin(user) -> str | None:
    """The GSTIN on a wholesaler's profile, for his order page's form."""
    profile = db.session.get(WholesalerProfile, user.id) if user.is_authenticated else None
    return profile.gstin if profile else None


@orders.app_template_global("may_invoice")
def may_invoice_view(order: Order) -> bool:
    return may_invoice(db.session, order)


def _placed_with(key: str) -> int | None:
    """The buyer's checkout placed with this key, if any."""
    return db.session.scalar(sa.select(Checkout.id).where(Checkout.idempotency_key == key,
                                                          Checkout.buyer_id == current_user.id))


@orders.get("/orders/placed/<int:checkout_id>")
@login_required
def placed(checkout_id: int):
    done = db.session.get(Checkout, checkout_id)
    if done is None or done.buyer_id != current_user.id:
        abort(404)
    return render_template("orders/placed.html", checkout=done)


@orders.get("/orders")
@login_required
def history():
    items = list(db.session.scalars(sa.select(Order).where(Order.buyer_id == current_user.id)
                                    .options(selectinload(Order.business)).order_by(Order.id.desc()).limit(100)))
    paid = payments_for(db.session, items)
    return render_template("orders/history.html", orders=items, payment_of=lambda o: paid[o.id])


def _order_for_me(order_id: int) -> tuple[Order, Actor]:
    order = db.session.get(Order, order_id) or abort(404)
    actor = actor_for(current_user, order)
    if actor is None:
        abort(404)  # not 403: do not confirm that someone else's order exists
    return order, actor


@orders.get("/orders/<int:order_id>")
@login_required
def show(order_id: int):
    order, actor = _order_for_me(order_id)
    return render_template("orders/show.html", order=order, actor=actor, moves=_moves(order, actor),
                           form=MessageForm(), quote=_quote_of(order))


def _quote_of(order: Order) -> QuoteRequest | None:
    """The quote a wholesale order came from: its agreed terms (made to order, ready by) stay in sight."""
    if not order.wholesale:
        return None
    return db.session.scalar(sa.select(QuoteRequest).where(QuoteRequest.order_id == order.id))


def _moves(order: Order, actor: Actor, payment_of=None) -> list[OrderStatus]:
    """What the person may do next; nobody accepts an order that waits for its online payment. `payment_of`: a
    screen's payments, looked up together."""
    payment_of = payment_of or (lambda o: payment_for(db.session, o))
    payment = payment_of(order)
    in_parts = payment is None and order.wholesale  # a wholesale order from a quote: its advance, its balance
    return [m for m in next_moves(order.status, actor, order.delivery)
            if (m != OrderStatus.CONFIRMED or (may_accept(db.session, order) if in_parts else accepts(payment)))
            and (m not in order_moves.DISPATCH or not in_parts or may_dispatch(db.session, order))]


@orders.post("/orders/<int:order_id>/status")
@login_required
def change_status(order_id: int):
    order, actor = _order_for_me(order_id)
    wanted = request.form.get("to", "")
    form = request.form
    try:
        # A stale page's button: her mistake; past here, a wrong move is a bug.
        refuse_move(order.status, wanted, actor, order.delivery)
        target = OrderStatus(wanted)
        tracking = check_tracking(form.get("courier", ""), form.get("tracking_number", ""),
                                  form.get("tracking_url", "")) if target == OrderStatus.SHIPPED else None
        order_moves.move(db.session, order, target, current_user, actor, tracking=tracking)
    except Refusal as exc:  # what stopped it, in her words: paid first, moved meanwhile, a refund that failed...
        db.session.rollback()
        flash(str(exc), "error")
        if wanted == OrderStatus.SHIPPED:  # the courier's details stay as she typed them
            order, actor = _order_for_me(order_id)
            typed = {k: form.get(k, "")[:300] for k in ("courier", "tracking_number", "tracking_url")}
            return render_template("orders/show.html", order=order, actor=actor, moves=_moves(order, actor),
                                   form=MessageForm(), typed=typed, quote=_quote_of(order)), 422
    else:
        refunding = any(kind == "refund" for kind, _id in waiting_to_send(db.session))
        db.session.commit()  # the gateway is asked after the response (payments.outbox), or by the worker
        flash(_("Order %(n)s: %(s)s.", n=order.number, s=STATUS_WORDS()[target]), "success")
        if refunding:
            flash(_("The refund is on its way."), "success")
    back = request.form.get("back")
    return redirect(url_for("orders.seller") if back == "seller" else url_for("orders.show", order_id=order.id))


@orders.get("/orders/<int:order_id>/proforma.pdf")
@login_required
def proforma(order_id: int):
    """The proforma invoice of a wholesale order: before it is paid, what its tax invoice will say."""
    order, _actor = _order_for_me(order_id)
    if not order.wholesale:
        abort(404)
    try:
        draft = proforma_invoice(db.session, order)
    except InvoiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("orders.show", order_id=order.id))
    response = make_response(render_pdf(draft))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="proforma-{order.number}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@orders.post("/orders/<int:order_id>/gstin")
@login_required
def gstin(order_id: int):
    """The wholesaler gives or corrects his GSTIN on his order's page (it goes on his tax invoice)."""
    order, actor = _order_for_me(order_id)
    if actor != Actor.BUYER or not order.wholesale:
        abort(404)
    try:
        set_wholesaler_gstin(db.session, current_user, request.form.get("gstin", ""))
    except Refusal as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("orders.show", order_id=order.id, gstin=request.form.get("gstin", "")[:20],
                                _anchor="gstin"))
    db.session.commit()
    flash(_("Your GSTIN is saved. It goes on your tax invoice."), "success")
    return redirect(url_for("orders.show", order_id=order.id, _anchor="gstin"))


@orders.get("/orders/<int:order_id>/invoice.pdf")
@login_required
def invoice(order_id: int):
    order, _actor = _order_for_me(order_id)
    try:
        payment = payment_for(db.session, order)
        paid_with = payment.gateway if payment else "+".join(
            p.gateway for p in parts_of(db.session, order) if p.status in MONEY_TAKEN)
        issued = issue_invoice(db.session, order, paid_with=paid_with)
    except InvoiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("orders.show", order_id=order.id))
    db.session.commit()
    response = make_response(render_pdf(issued))
    response.headers["Content-Type"] = "application/pdf"
    filename = issued.number.replace("/", "-")
    response.headers["Content-Disposition"] = f'attachment; filename="invoice-{filename}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@orders.post("/orders/<int:order_id>/messages")
@login_required
def message(order_id: int):
    order, actor = _order_for_me(order_id)
    if actor not in (Actor.BUYER, Actor.SELLER):  # an admin reads the talk but is neither side of it
        abort(403)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            sent = post_message(db.session, order, current_user, actor, form.body.data)
        except OrderError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            if sent.body != form.body.data.strip():
                flash(_("Phone numbers and e-mail addresses are hidden from the other side, for your safety. "
                        "Talk here instead."), "success")
    else:
        flash(_("Write a message first."), "error")
    return redirect(url_for("orders.show", order_id=order.id) + "#messages")


@orders.post("/orders/<int:order_id>/reorder")
@login_required
def reorder_view(order_id: int):
    order, actor = _order_for_me(order_id)
    if actor != Actor.BUYER:
        abort(404)
    skipped = reorder(db.session, order, _cart(create=True))
    db.session.commit()
    for line in skipped:
        flash(line, "error")
    return redirect(url_for("orders.cart"))


@orders.get("/seller/orders")
@role_required(Role.ENTREPRENEUR)
def seller():
    member = member_for_user(db.session, current_user)
    shop_ids = [b.id for b in member.businesses] if member else []
    mine = Order.business_id.in_(shop_ids or [-1])
    lines = selectinload(Order.lines)  # each card lists its lines: a query for the screen, not one per card
    new = db.session.scalars(sa.select(Order).where(mine, Order.status == OrderStatus.PLACED, ~awaiting_payment())
                             .options(lines).order_by(Order.id)).all()
    active = db.session.scalars(sa.select(Order).where(mine, Order.status.in_(OPEN - {OrderStatus.PLACED}))
                                .options(lines).order_by(Order.id)).all()
    # Handed over, and the cash not yet recorded: kept in sight until she has it.
    cash_due = db.session.scalars(sa.select(Order).join(Payment, Payment.order_id == Order.id).where(
        mine, Order.status.not_in(OPEN), Payment.gateway == "cash", Payment.status == "created")
        .order_by(Order.id)).all()
    finished = db.session.scalars(sa.select(Order).where(mine, Order.status.not_in(OPEN))
                                  .order_by(Order.id.desc()).limit(20)).all()
    since = utcnow() - timedelta(days=1)
    today = db.session.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Order.total_paise), 0))
                               .where(mine, Order.placed_at >= since,
                                      Order.status.not_in([OrderStatus.CANCELLED, OrderStatus.REFUNDED]))).one()
    open_quotes = db.session.scalar(sa.select(sa.func.count()).select_from(QuoteRequest).where(  # her turn
        QuoteRequest.business_id.in_(shop_ids or [-1]), QuoteRequest.status.in_(("requested", "countered"))))
    paid = payments_for(db.session, [*new, *active, *cash_due])
    payment_of = lambda o: paid[o.id]  # noqa: E731 - for the template too, in place of the one-by-one lookup
    to_read = last_word_from_buyer(db.session, [o.id for o in (*new, *active, *cash_due)])
    return render_template("orders/seller.html", new=new, active=active, cash_due=cash_due, finished=finished,
                           today_count=today[0], today_paise=today[1], open_quotes=open_quotes, to_read=to_read,
                           payment_of=payment_of, moves=lambda o: _moves(o, Actor.SELLER, payment_of))


@orders.get("/wholesalers")
@role_required(Role.STAFF, Role.ADMIN)
def wholesalers():
    """Wholesalers are approved on the buyers' page now, beside buyers' accounts on hold."""
    return redirect(url_for("admin.buyers", show="waiting"))


@orders.post("/wholesalers/<int:user_id>")
@role_required(Role.STAFF, Role.ADMIN)
def decide(user_id: int):
    profile = db.session.get(WholesalerProfile, user_id) or abort(404)
    approve = request.form.get("decision") == "approve"
    decide_wholesaler(db.session, profile, approve, current_user)
    audit(db.session, current_user, "approve_wholesaler" if approve else "reject_wholesaler", "user", user_id)
    db.session.commit()
    flash(_("Approved: wholesale prices apply to them now.") if approve else _("Rejected."), "success")
    return redirect(url_for("admin.buyers", show=request.args.get("show", "waiting")))


def STATUS_WORDS():  # noqa: N802 - a table, built per request so it is translated
    """What each state is called on screen."""
    return {
        OrderStatus.PLACED: _("new, waiting for the seller"), OrderStatus.CONFIRMED: _("accepted"),
        OrderStatus.PACKED: _("packed"), OrderStatus.READY_FOR_PICKUP: _("ready for pickup"),
        OrderStatus.OUT_FOR_DELIVERY: _("out for delivery"), OrderStatus.SHIPPED: _("sent by courier"),
        OrderStatus.COLLECTED: _("collected"), OrderStatus.DELIVERED: _("delivered"),
        OrderStatus.COMPLETED: _("completed"),
        OrderStatus.CANCELLED: _("cancelled"), OrderStatus.REFUND_REQUESTED: _("refund asked"),
        OrderStatus.REFUNDED: _("refunded"),
    }


def QUOTE_WORDS(seller: bool = False):  # noqa: N802 - a table, built per request so it is translated
    """What each quote state is called on screen, said to the one reading it: the seller is never told she is
    waiting for the seller."""
    if seller:
        waiting = {"requested": _("waiting for your answer"), "offered": _("you sent a price"),
                   "countered": _("buyer sent a price")}
    else:
        waiting = {"requested": _("waiting for the seller"), "offered": _("seller sent a price"),
                   "countered": _("you sent a price")}
    return waiting | {"accepted": _("agreed"), "declined": _("declined"), "ordered": _("ordered")}


@orders.app_context_processor
def order_words():
    return {"status_words": STATUS_WORDS, "quote_words": QUOTE_WORDS}
