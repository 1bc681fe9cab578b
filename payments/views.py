"""Payment pages, the gateways' callbacks and webhooks, cash received, refunds."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from catalog.models import Product, Variant
from market.core import db
from market.core.bodies import WEBHOOK, body_limit
from market.core.errors import Refusal
from market.core.extensions import csrf
from market.core.models import Role
from market.core.money import MoneyError, format_inr, parse_rupees
from market.core.pagination import after_id_page, parse_cursor
from market.core.permissions import role_required
from market.core.security import CSP, is_safe_next
from market.flows import capture, refunds, stall_sale, wholesale_pay
from orders.models import Checkout, Order
from orders.services import OrderError, actor_for
from orders.status import Actor
from payments import gateways, parts, services
from payments.forms import SaleForm
from payments.gateways import GatewayRefused, GatewayUnavailable
from payments.models import CashSale, Payment, Refund
from payments.status import MONEY_TAKEN, PaymentStatus
from vendors.services import member_for_user

payments = Blueprint("payments", __name__)

RAZORPAY_CSP = (CSP.replace("script-src 'self'", "script-src 'self' https://checkout.razorpay.com")
                .replace("connect-src 'self'", "connect-src 'self' https://api.razorpay.com https://lumberjack.razorpay.com")
                .replace("form-action 'self'", "form-action 'self' https://api.razorpay.com")
                + "; frame-src https://api.razorpay.com https://checkout.razorpay.com")


def _online_payment(checkout: Checkout) -> Payment | None:
    return db.session.scalar(sa.select(Payment).where(Payment.checkout_id == checkout.id,
                                                         Payment.order_id.is_(None)))


@payments.get("/payments/pay/<int:checkout_id>")
@login_required
def pay(checkout_id: int):
    checkout = db.session.get(Checkout, checkout_id)
    if checkout is None or checkout.buyer_id != current_user.id:
        abort(404)
    payment = _online_payment(checkout)
    if payment is None or payment.status in MONEY_TAKEN:
        return redirect(url_for("orders.placed", checkout_id=checkout.id))
    if payment.status == PaymentStatus.EXPIRED:
        return render_template("payments/pay.html", checkout=checkout, payment=payment, options=None)
    try:  # a gateway that cannot be reached raises GatewayUnavailable: the app's handler answers 503
        options = services.open_at_gateway(
            db.session, payment, callback_url=url_for("payments.callback", payment_id=payment.id, _external=True),
            success_url=url_for("payments.stripe_done", payment_id=payment.id, _external=True),
            cancel_url=url_for("payments.pay", checkout_id=checkout.id, _external=True))
    except GatewayRefused as exc:  # it answered, and said no: its reason, not "cannot be reached"
        db.session.rollback()
        current_app.logger.warning("payment %s: refused by the gateway: %s", payment.id, exc.reason)
        flash(_("The payment service said no: %(reason)s", reason=exc.reason), "error")
        options = None
    else:
        db.session.commit()
    response = current_app.make_response(render_template("payments/pay.html", checkout=checkout, payment=payment,
                                                         options=options))
    if payment.gateway == "razorpay":
        response.headers["Content-Security-Policy"] = RAZORPAY_CSP
    return response


@payments.get("/payments/part/<int:payment_id>")
@login_required
def pay_part(payment_id: int):
    """The UPI payment of a part (advance or balance) of a wholesale order."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.part == "whole" or payment.order.buyer_id != current_user.id:
        abort(404)
    if payment.gateway in ("bank", "cash") or payment.status not in ("created", "authorized"):
        return redirect(url_for("orders.show", order_id=payment.order_id))
    try:
        options = services.open_at_gateway(db.session, payment, callback_url=url_for(
            "payments.callback", payment_id=payment.id, _external=True))
    except GatewayRefused as exc:
        db.session.rollback()
        flash(_("The payment service said no: %(reason)s", reason=exc.reason), "error")
        return redirect(url_for("orders.show", order_id=payment.order_id))
    db.session.commit()
    response = current_app.make_response(render_template("payments/pay_part.html", payment=payment,
                                                         order=payment.order, options=options))
    if payment.gateway == "razorpay":
        response.headers["Content-Security-Policy"] = RAZORPAY_CSP
    return response


def _pay_again(payment: Payment) -> str:
    return url_for("payments.pay_part", payment_id=payment.id) if payment.part != "whole" \
        else url_for("payments.pay", checkout_id=payment.checkout_id)


def _after_paying(payment: Payment) -> str:
    return url_for("orders.show", order_id=payment.order_id) if payment.part != "whole" \
        else url_for("orders.placed", checkout_id=payment.checkout_id)


@payments.post("/payments/<int:payment_id>/callback")
@csrf.exempt  # posted by Razorpay Checkout, not by our form: the signature is what is checked
def callback(payment_id: int):
    payment = db.session.get(Payment, payment_id) or abort(404)
    if "razorpay_payment_id" not in request.form:  # the attempt failed; the buyer may try again
        flash(_("The payment did not go through. No money was taken. Try again."), "error")
        _deliver_demo_webhooks()
        return redirect(_pay_again(payment))
    try:
        services.confirm_callback(db.session, payment, request.form.to_dict())
    except services.PaymentError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(_pay_again(payment))
    except GatewayUnavailable:  # the signature was good; the webhook or reconcile will finish it
        db.session.rollback()
        flash(_("Your payment is being confirmed. The shops will see it in a few minutes."), "success")
        return redirect(_after_paying(payment))
    db.session.commit()
    _deliver_demo_webhooks()
    flash(_("Paid. Thank you!"), "success")
    return redirect(_after_paying(payment))


@payments.post("/orders/<int:order_id>/pay/<part>")
@login_required
def choose_part(order_id: int, part: str):
    """The wholesaler's choice for a part of his order: UPI (to the gateway), a bank transfer's UTR, or cash."""
    order = _order_as(order_id, Actor.BUYER)
    method = request.form.get("method", "")
    try:
        payment = wholesale_pay.choose(db.session, order, current_user, part, method, request.form.get("utr", ""))
    except Refusal as exc:  # the form is shown again with what he typed
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("orders.show", order_id=order.id, method=method, part=part,
                                utr=request.form.get("utr", "")[:40], _anchor="pay"))
    db.session.commit()
    if method == "upi":
        return redirect(url_for("payments.pay_part", payment_id=payment.id))
    flash(_("Your UTR is sent. The seller confirms it when the money arrives.") if method == "bank"
          else _("Pay the seller in cash; the seller records it."), "success")
    return redirect(url_for("orders.show", order_id=order.id, _anchor="pay"))


@payments.post("/payments/part/<int:payment_id>/confirm")
@login_required
def confirm_part(payment_id: int):
    """The seller (or an admin) confirms a transfer seen in the statement, or cash in hand."""
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.part == "whole" or payment.order_id is None:
        abort(404)
    order = _order_as(payment.order_id, Actor.SELLER, Actor.ADMIN)
    try:
        wholesale_pay.confirm(db.session, payment, current_user)
    except services.PaymentError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("%(amount)s received for order %(n)s.", amount=format_inr(payment.amount_paise), n=order.number),
              "success")
    return redirect(url_for("orders.show", order_id=order.id, _anchor="pay"))


@payments.app_template_global()
def may_send(order: Order) -> bool:
    """Whether an order paid in parts may leave the shop (its balance paid, or cash on delivery)."""
    return services.may_dispatch(db.session, order)


@payments.app_template_global()
def dues_of(order: Order) -> list:
    """The parts of a wholesale order (advance, balance), each with its payment, for its page."""
    return parts.dues_of(db.session, order)


def _deliver_demo_webhooks() -> None:
    """The demo gateway's webhooks, handed over at once (Razorpay would post them a moment later)."""
    gateway = gateways.upi()
    if isinstance(gateway, gateways.DemoGateway):
        for hook in gateway.fake.take_webhooks():
            services.razorpay_webhook(db.session, hook.body, hook.signature, hook.event_id)
            db.session.commit()


@payments.get("/payments/<int:payment_id>/stripe-done")
def stripe_done(payment_id: int):
    """Stripe sends the buyer back here; we ask Stripe itself whether she paid (never the browser)."""
    payment = db.session.get(Payment, payment_id) or abort(404)
    if payment.gateway != "stripe" or not payment.gateway_order_id:
        abort(404)
    card = gateways.card()
    try:
        if card is None:  # cards switched off since she paid: the reconcile job settles it once they are back
            raise GatewayUnavailable("cards are not configured")
        outcome = services.settle_stripe(db.session, payment, card.retrieve_session(payment.gateway_order_id),
                                         "return")
    except GatewayUnavailable:
        db.session.rollback()
        outcome = "unknown"
    db.session.commit()
    if outcome in ("captured", "already captured"):
        flash(_("Paid. Thank you!"), "success")
    else:
        flash(_("Your payment is being confirmed. The shops will see it in a few minutes."), "success")
    return redirect(url_for("orders.placed", checkout_id=payment.checkout_id))


@payments.post("/payments/webhooks/razorpay")
@csrf.exempt
@body_limit(WEBHOOK)
def razorpay_webhook():
    answer = services.razorpay_webhook(db.session, request.get_data(as_text=True),
                                       request.headers.get("X-Razorpay-Signature", ""),
                                       request.headers.get("X-Razorpay-Event-Id", ""))
    _finish(answer)
    return {"outcome": answer.outcome}, answer.status


@payments.post("/payments/webhooks/stripe")
@csrf.exempt
@body_limit(WEBHOOK)
def stripe_webhook():
    answer = services.stripe_webhook(db.session, request.get_data(as_text=True),
                                     request.headers.get("Stripe-Signature", ""))
    _finish(answer)
    return {"outcome": answer.outcome}, answer.status


def _finish(answer: services.Answer) -> None:
    if answer.status == 200:
        db.session.commit()
    else:
        db.session.rollback()
        current_app.logger.warning("webhook refused: %s", answer.outcome)


# -- the demo gateway's own checkout page (what Razorpay Checkout shows the buyer) ------------------------------

def _demo_or_404() -> gateways.DemoGateway:
    gateway = gateways.upi()
    if not isinstance(gateway, gateways.DemoGateway):
        abort(404)
    return gateway


@payments.post("/payments/demo/checkout")
@csrf.exempt  # stands in for Razorpay's own page, which knows nothing of our forms
def demo_checkout():
    _demo_or_404()
    fields = {k: request.form.get(k, "") for k in ("order_id", "amount", "description", "callback_url")}
    if not fields["order_id"] or not is_safe_next(_path(fields["callback_url"])):
        abort(400)
    return render_template("payments/demo_checkout.html", fields=fields)


@payments.post("/payments/demo/pay")
@csrf.exempt
def demo_pay():
    gateway = _demo_or_404()
    callback_url = request.form.get("callback_url", "")
    if not is_safe_next(_path(callback_url)):
        abort(400)
    try:
        fields = gateway.fake.pay(request.form.get("order_id", ""), succeed=request.form.get("outcome") == "pay")
    except ValueError:
        abort(400)
    if "error" in fields:
        fields = {"error[code]": fields["error"]["code"], "error[description]": fields["error"]["description"]}
    return render_template("payments/demo_return.html", callback_url=_path(callback_url), fields=fields)


def _path(url: str) -> str:
    """The path of one of our own absolute URLs (what Razorpay is given as callback_url)."""
    root = request.host_url
    return "/" + url[len(root):] if url.startswith(root) else url


# -- sellers and admins ---------------------------------------------------------------------------------------

def _order_as(order_id: int, *actors: Actor) -> Order:
    order = db.session.get(Order, order_id) or abort(404)
    if actor_for(current_user, order) not in actors:
        abort(404)
    return order


@payments.post("/orders/<int:order_id>/cash-received")
@login_required
def cash_received(order_id: int):
    order = _order_as(order_id, Actor.SELLER)
    try:
        capture.cash_received(db.session, order, current_user)
    except services.PaymentError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Cash recorded for order %(n)s.", n=order.number), "success")
    if request.form.get("back") == "seller":  # pressed on her list: she stays on it, as after every other button
        return redirect(url_for("orders.seller"))
    return redirect(url_for("orders.show", order_id=order.id))


@payments.post("/orders/<int:order_id>/refund")
@login_required
def refund(order_id: int):
    """A part of the order refunded (a missing piece, a damaged one); the whole order goes by its status."""
    order = _order_as(order_id, Actor.SELLER, Actor.ADMIN)
    try:
        amount = parse_rupees(request.form.get("amount", ""))
    except MoneyError:
        amount = 0
    if amount <= 0:
        flash(_("Write the amount to refund, like 150 or 150.50."), "error")
        return redirect(url_for("orders.show", order_id=order.id))
    try:
        refunds.ask(db.session, order, amount, current_user, request.form.get("reason", ""))
    except (services.PaymentError, OrderError) as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()  # the gateway is asked after the response (payments.outbox), or by the worker
        flash(_("Refund sent for order %(n)s.", n=order.number), "success")
    return redirect(url_for("orders.show", order_id=order.id))


@payments.app_template_global()
def payment_of(order: Order) -> Payment | None:
    return services.payment_for(db.session, order)


@payments.app_template_global()
def refunds_of(order: Order) -> list[Refund]:
    """The refunds made or on their way for an order, for its page."""
    return list(db.session.scalars(sa.select(Refund).where(Refund.order_id == order.id, Refund.status != "failed")
                                   .order_by(Refund.id)))


@payments.route("/seller/sales", methods=["GET", "POST"])
@role_required(Role.ENTREPRENEUR)
def sales():
    """Sales at a market stall: paid to her directly, recorded so they count toward her income and plan."""
    member = member_for_user(db.session, current_user)
    shops = list(member.businesses) if member else []
    if not shops:
        flash(_("You have no shop yet. Your field worker can open one with you."), "error")
        return redirect(url_for("seller.home"))
    shop_ids = [b.id for b in shops]
    variants = db.session.scalars(sa.select(Variant).join(Variant.product).where(
        Product.business_id.in_(shop_ids), Product.status != "archived").order_by(Product.title, Variant.id)
        .limit(300)).all()
    form = SaleForm()
    form.offer(shops, variants)
    if form.validate_on_submit():
        try:
            amount = parse_rupees(form.amount.data)
            if form.business.data not in shop_ids:
                abort(403)
            stall_sale.record(db.session, form.business.data, current_user, amount, form.method.data,
                              form.client_id.data, form.variant.data or None, form.quantity.data,
                              form.note.data or "")
        except MoneyError:
            db.session.rollback()
            form.amount.errors.append(_("Write the amount in numbers, like 250 or 250.50."))
        except services.PaymentError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Sale of %(amount)s saved.", amount=format_inr(amount)), "success")
            return redirect(url_for("payments.sales"))
    form.client_id.data = secrets.token_urlsafe(18)
    page = after_id_page(db.session, sa.select(CashSale).where(CashSale.business_id.in_(shop_ids)), CashSale.id,
                         parse_cursor(request.args.get("after")), per_page=30, newest_first=True)
    return render_template("payments/sales.html", form=form, page=page, several=len(shops) > 1,
                           names={b.id: b.public_name for b in shops})
