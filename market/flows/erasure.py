"""A member asks to be forgotten: her account's data goes; her shops close; what invoices must keep stays.

1. Refused while one of the shops only she owns has an order still waiting for its seller (orders).
2. Her legal name is forgotten (vendors).
3. Each shop only she owns is paused for good, without its story; its products are withdrawn: archived rows
   (order lines point at them), without description or photos (catalog).
4. Those shops leave every cart (orders).
The caller deletes the photos' files after the commit (their keys are returned).
"""

from __future__ import annotations

from flask_babel import lazy_ngettext
from sqlalchemy.orm import Session

from catalog.services import set_shop_paused, withdraw_products
from market.core.accounts import AccountError
from market.core.models import User
from orders.services import remove_from_carts, unfinished_orders
from vendors.services import member_for_user


def erase(session: Session, user: User) -> list[str]:
    """Forget her legal name; close for good the shops only she owns (a group's shop stays with the group).

    Refused while one of those shops has an order still waiting for its seller: cancelling a paid order means a
    refund through the gateway and telling the buyer, which she can do herself from her orders (and a buyer
    waiting for goods must not find the shop gone). A closed shop keeps only what invoices need, under its
    public name: the products stay as archived rows (order lines point at them), out of lists, search and carts,
    without description or photos. Returns the photo keys whose files the caller deletes after the commit."""
    member = member_for_user(session, user)
    if member is None:
        return []
    own = [business for business in member.businesses if len(business.owners) == 1]
    waiting = unfinished_orders(session, [b.id for b in own]) if own else 0
    if waiting:
        raise AccountError(lazy_ngettext(
            "%(num)d order is still open in your shop. Finish or cancel it first: the buyer is waiting for it.",
            "%(num)d orders are still open in your shop. Finish or cancel them first: the buyers are waiting for "
            "them.", waiting))
    member.legal_name = "Erased"
    keys: list[str] = []
    for business in own:
        set_shop_paused(session, business, True)
        business.story = ""
        keys += withdraw_products(session, business)
    if own:
        remove_from_carts(session, [b.id for b in own])
    session.flush()
    return keys
