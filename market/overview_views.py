"""The admins' overview of the whole site: orders, payments and refunds, searchable (an order number such as
H-000123, a shop's name, a gateway's id) and filtered by status, dates and shop, 50 a page (keyset: the same cost
at any page); the refunds the gateway refused, each with "try again" (a new refund sent through
payments.outbox after the commit, never inside it); and each run of `payments reconcile` with what it found and
repaired. Orders export as CSV or Excel (a job past EXPORT_INLINE_ROWS rows)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session, joinedload

from market.core import db
from market.core.accounts import audit
from market.core.clock import noon
from market.core.exports import rupees
from market.core.models import Role
from market.core.pagination import after_id_page, parse_cursor, parse_id
from market.core.permissions import role_required
from market.export_jobs import BATCH, Table, register
from market.export_jobs import respond as export_response
from orders.models import Order
from orders.status import OrderStatus
from payments import services as payment_services
from payments.models import GATEWAYS, Payment, ReconcileRun, Refund
from payments.status import PaymentStatus
from vendors.models import Business

overview = Blueprint("overview", __name__, url_prefix="/admin")
PER_PAGE = 50
ORDER_NUMBER = re.compile(r"^\s*(?:h\s*-?\s*)?0*(\d{1,9})\s*$", re.IGNORECASE)
REFUND_STATUSES = ("pending", "processed", "failed")


@dataclass(frozen=True)
class Filters:
    """What the admin typed and chose (junk in a query string is no filter)."""

    q: str = ""
    status: str = ""
    gateway: str = ""
    shop: int | None = None
    since: date | None = None
    until: date | None = None

    @classmethod
    def read(cls, args, statuses) -> Filters:
        status, gateway = args.get("status", ""), args.get("gateway", "")
        return cls(" ".join(str(args.get("q", "")).split())[:100], status if status in statuses else "",
                   gateway if gateway in GATEWAYS else "", parse_id(str(args.get("shop") or "")),
                   _day(args.get("from")), _day(args.get("to")))

    def params(self) -> dict:
        return {key: value for key, value in (
            ("q", self.q), ("status", self.status), ("gateway", self.gateway), ("shop", self.shop),
            ("from", self.since and self.since.isoformat()), ("to", self.until and self.until.isoformat()))
            if value}

    @property
    def order_id(self) -> int | None:
        """The order a search names by its number (H-000123, h123, 123)."""
        match = ORDER_NUMBER.match(self.q)
        return int(match.group(1)) if match else None

    def between(self, column) -> list:
        """The dates, as days in India (a day there starts at 18:30 UTC the evening before)."""
        conditions = []
        if self.since:
            conditions.append(column >= noon(self.since) - timedelta(hours=12))
        if self.until:
            conditions.append(column < noon(self.until) + timedelta(hours=12))
        return conditions


def _day(text) -> date | None:
    try:
        return date.fromisoformat(text) if text and len(text) == 10 else None
    except ValueError:
        return None


def _shop_name_like(q: str):
    return Business.public_name.ilike("%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",
                                      escape="\\")


# -- orders --------------------------------------------------------------------------------------------------------

def orders_query(f: Filters) -> sa.Select:
    stmt = sa.select(Order).join(Business, Business.id == Order.business_id).options(joinedload(Order.business))
    if f.q:
        stmt = stmt.where(Order.id == f.order_id if f.order_id is not None else _shop_name_like(f.q))
    if f.status:
        stmt = stmt.where(Order.status == f.status)
    if f.shop is not None:
        stmt = stmt.where(Order.business_id == f.shop)
    return stmt.where(*f.between(Order.placed_at))


def _refunded(session: Session, order_ids: list[int]) -> dict[int, int]:
    """Paise given back so far for each order."""
    if not order_ids:
        return {}
    rows = session.execute(sa.select(Refund.order_id, sa.func.sum(Refund.amount_paise)).where(
        Refund.order_id.in_(order_ids), Refund.status == "processed").group_by(Refund.order_id))
    return {order_id: int(paise) for order_id, paise in rows if order_id is not None}


@overview.get("/orders")
@role_required(Role.ADMIN)
def orders():
    f = Filters.read(request.args, list(OrderStatus))
    page = after_id_page(db.session, orders_query(f), Order.id, parse_cursor(request.args.get("after")), PER_PAGE,
                         newest_first=True)
    ids = [o.id for o in page.items]
    return render_template("market/overview_orders.html", f=f, page=page, statuses=list(OrderStatus),
                           payments=payment_services.payments_for(db.session, page.items),
                           refunded=_refunded(db.session, ids), shop=_shop(f))


def _shop(f: Filters) -> Business | None:
    return db.session.get(Business, f.shop) if f.shop is not None else None


def _order_count(session: Session, params: dict) -> int:
    f = Filters.read(params, list(OrderStatus))
    return session.scalar(sa.select(sa.func.count()).select_from(orders_query(f).subquery())) or 0


def _order_batches(session: Session, params: dict) -> Iterator[list[list]]:
    f, after = Filters.read(params, list(OrderStatus)), None
    while True:
        stmt = orders_query(f)
        if after is not None:
            stmt = stmt.where(Order.id < after)
        batch = list(session.scalars(stmt.order_by(Order.id.desc()).limit(BATCH)).unique())
        if not batch:
            return
        after = batch[-1].id
        paid, back = payment_services.payments_for(session, batch), _refunded(session, [o.id for o in batch])
        yield [[o.number, format_datetime(o.placed_at, "yyyy-MM-dd HH:mm"), o.business.public_name, o.status,
                *_paid_by(paid[o.id]), rupees(o.total_paise), rupees(back.get(o.id, 0))] for o in batch]


def _paid_by(payment: Payment | None) -> tuple[str, str]:
    return (payment.gateway, payment.status) if payment is not None else ("", "")


register("orders", Table(
    title=lambda: _("Orders"),
    header=lambda: [_("Order"), _("Placed"), _("Shop"), _("Status"), _("Paid by"), _("Payment"), _("Total (Rs)"),
                    _("Refunded (Rs)")],
    count=_order_count, batches=_order_batches))


@overview.get("/orders/export.<any(csv, xlsx):fmt>")
@role_required(Role.ADMIN)
def orders_export(fmt: str):
    f = Filters.read(request.args, list(OrderStatus))
    return export_response(db.session, current_user, "orders", f.params(), fmt, "haat-orders",
                               url_for("overview.orders", **f.params()))


# -- payments ------------------------------------------------------------------------------------------------------

def payments_query(f: Filters) -> sa.Select:
    stmt = sa.select(Payment)
    if f.q:
        if f.order_id is not None:  # the payment of that order: its own (cash) or its checkout's
            order = sa.select(Order.checkout_id).where(Order.id == f.order_id).scalar_subquery()
            stmt = stmt.where(sa.or_(Payment.order_id == f.order_id,
                                     sa.and_(Payment.order_id.is_(None), Payment.checkout_id == order)))
        else:
            stmt = stmt.where(sa.or_(Payment.gateway_payment_id == f.q, Payment.gateway_order_id == f.q,
                                     Payment.checkout_id.in_(sa.select(Order.checkout_id).join(
                                         Business, Business.id == Order.business_id).where(_shop_name_like(f.q)))))
    if f.status:
        stmt = stmt.where(Payment.status == f.status)
    if f.gateway:
        stmt = stmt.where(Payment.gateway == f.gateway)
    if f.shop is not None:
        stmt = stmt.where(Payment.checkout_id.in_(sa.select(Order.checkout_id).where(Order.business_id == f.shop)))
    return stmt.where(*f.between(Payment.created_at))


@overview.get("/payments")
@role_required(Role.ADMIN)
def payments():
    f = Filters.read(request.args, list(PaymentStatus))
    page = after_id_page(db.session, payments_query(f), Payment.id, parse_cursor(request.args.get("after")),
                         PER_PAGE, newest_first=True)
    numbers: dict[int, list[Order]] = {}
    checkouts = {p.checkout_id for p in page.items}
    for order in db.session.scalars(sa.select(Order).where(Order.checkout_id.in_(checkouts or {-1}))
                                    .order_by(Order.id)):
        numbers.setdefault(order.checkout_id, []).append(order)
    return render_template("market/overview_payments.html", f=f, page=page, statuses=list(PaymentStatus),
                           gateways=GATEWAYS, orders_of=numbers, shop=_shop(f))


# -- refunds -------------------------------------------------------------------------------------------------------

def refunds_query(f: Filters) -> sa.Select:
    stmt = sa.select(Refund, Order).outerjoin(Order, Order.id == Refund.order_id).options(joinedload(Order.business))
    if f.q:
        stmt = stmt.where(Refund.order_id == f.order_id if f.order_id is not None else Order.business_id.in_(
            sa.select(Business.id).where(_shop_name_like(f.q))))
    if f.status:
        stmt = stmt.where(Refund.status == f.status)
    if f.shop is not None:
        stmt = stmt.where(Order.business_id == f.shop)
    return stmt.where(*f.between(Refund.created_at))


@overview.get("/refunds")
@role_required(Role.ADMIN)
def refunds():
    f = Filters.read(request.args, REFUND_STATUSES)
    after = parse_cursor(request.args.get("after"))
    stmt = refunds_query(f)
    if after is not None:
        stmt = stmt.where(Refund.id < after)
    rows = db.session.execute(stmt.order_by(Refund.id.desc()).limit(PER_PAGE + 1)).all()
    more = rows[PER_PAGE][0].id if len(rows) > PER_PAGE else None
    rows = rows[:PER_PAGE]
    refused = payment_services.refused_refunds(db.session)
    orders_of = {o.id: o for o in db.session.scalars(sa.select(Order).where(
        Order.id.in_([r.order_id for r in refused] or [-1])))}
    return render_template("market/overview_refunds.html", f=f, rows=rows,
                           next_after=rows[-1][0].id if more else None, refused=refused, orders_of=orders_of,
                           statuses=REFUND_STATUSES, shop=_shop(f))


@overview.post("/refunds/<int:refund_id>/retry")
@role_required(Role.ADMIN)
def retry_refund(refund_id: int):
    """Try a refused refund again: a new refund, sent to the gateway after this commit (payments.outbox)."""
    failed = db.session.get(Refund, refund_id) or abort(404)
    try:
        made = payment_services.retry_refund(db.session, failed, current_user)
    except payment_services.PaymentError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("overview.refunds"))
    audit(db.session, current_user, "retry_refund", "order", made.order_id)
    db.session.commit()  # the refund goes to the gateway after this response is made (payments.outbox.install)
    flash(_("Sent to the gateway again. Its answer shows in the list of refunds."), "success")
    return redirect(url_for("overview.refunds"))


# -- reconcile runs ------------------------------------------------------------------------------------------------

@overview.get("/reconcile")
@role_required(Role.ADMIN)
def reconcile_runs():
    page = after_id_page(db.session, sa.select(ReconcileRun), ReconcileRun.id,
                         parse_cursor(request.args.get("after")), 20, newest_first=True)
    return render_template("market/overview_reconcile.html", page=page)
