"""Staff move a member to another SHG: her membership (vendors), then the listings of the shops that went with
her (catalog: the state on each product card and in search follows the new group's organisation).

Her sales so far stay counted where they were made: every rollup row keeps the group it was counted in, and a
rebuild asks her memberships (`vendors.hierarchy.group_at`).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from catalog.models import Product
from catalog.services import queue_reindex, refresh_summary
from market.core.models import User
from vendors.hierarchy import move_member
from vendors.models import Member, SelfHelpGroup


def move(session: Session, actor: User, member: Member, to: SelfHelpGroup) -> None:
    """Move her and bring her shops' listings up to date."""
    moved = move_member(session, actor, member, to)
    if not moved:
        return
    for product in session.scalars(sa.select(Product).where(Product.business_id.in_([b.id for b in moved]))):
        refresh_summary(product)
        queue_reindex(session, product)
    session.flush()
