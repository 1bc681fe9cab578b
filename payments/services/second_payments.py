"""A second payment of a checkout already paid: owed back to its buyer, returned through the gateway once, or
left on the admin page for a person.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from market.core import ledger as books
from market.core.db import rows_matched, utcnow
from market.core.ledger import EntryKind
from payments.models import ExtraPayment

OWED_BACK = "platform:second_payments"  # a second payment of a paid checkout, owed back to its buyer


def second_payment_returned(session: Session, extra: ExtraPayment, answer: dict) -> None:
    """The gateway's answer to our refund of a second payment (payments.outbox asked it, after the commit)."""
    extra.gateway_refund_id, extra.problem = answer["id"], ""
    session.flush()
    if answer.get("status") == "processed":
        extra_refund_news(session, extra, answer)


def second_payment_refused(session: Session, extra_id: int, reason: str) -> None:
    """The gateway would not send it back (a 4xx): a person must; the admin page lists it."""
    session.execute(sa.update(ExtraPayment).where(ExtraPayment.id == extra_id, ExtraPayment.status == "pending")
                    .values(status="failed", problem=f"refund not made: {reason}"[:200])
                    .execution_options(synchronize_session=False))


def extra_refund_news(session: Session, extra: ExtraPayment, entity: dict) -> str:
    """The gateway's news of a refund of a second payment (ours, or one made on its dashboard): what went back
    is posted once; when all of it is back it is done. A refund that failed leaves it for a person."""
    if entity.get("status") == "processed":
        if entity["id"] == extra.gateway_refund_id and extra.status == "refunded":
            return "second payment already refunded"  # our own refund's answer, then its webhook
        amount = int(entity["amount"])
        if rows_matched(session.execute(sa.update(ExtraPayment).where(
                ExtraPayment.id == extra.id, ExtraPayment.refunded_paise + amount <= ExtraPayment.amount_paise)
                .values(refunded_paise=ExtraPayment.refunded_paise + amount)
                .execution_options(synchronize_session=False))) != 1:
            return "second payment already refunded"
        session.expire(extra)
        books.post(session, EntryKind.REFUND, [(OWED_BACK, amount), (books.gateway_account(extra.gateway), -amount)],
                   f"second payment {extra.gateway_payment_id}: {entity['id']} returned", payment_id=extra.payment_id)
        if extra.refunded_paise == extra.amount_paise:
            extra.status, extra.problem, extra.resolved_at = "refunded", "", utcnow()
        elif extra.status == "failed":
            extra.problem = f"{extra.refunded_paise} of {extra.amount_paise} paise returned; return the rest"
        session.flush()
        return "second payment refunded" if extra.status == "refunded" else "second payment partly refunded"
    if entity.get("status") == "failed":
        session.execute(sa.update(ExtraPayment).where(ExtraPayment.id == extra.id, ExtraPayment.status == "pending")
                        .values(status="failed", problem="the gateway's refund failed")
                        .execution_options(synchronize_session=False))
        session.expire(extra)
        return "second payment refund failed"
    return "second payment refund pending"


def second_payments_to_act_on(session: Session) -> list[ExtraPayment]:
    """Second payments the gateway could not send back: a person must (the admin page lists them)."""
    return list(session.scalars(sa.select(ExtraPayment).where(ExtraPayment.status == "failed")
                                .order_by(ExtraPayment.id)))
