"""Hierarchy and business services: onboarding members and businesses, and scoped listings."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from market.core import security
from market.core.accounts import create_user
from market.core.models import Role, User
from market.core.security import PublicTextError
from vendors.hierarchy import check_open
from vendors.models import Business, Member, Organisation, SelfHelpGroup, StaffAssignment

TRADES = ("garments", "food", "jewellery", "handicrafts")


def slugify(text: str) -> str:
    """A URL slug from a business name (ASCII letters and digits; Indic names fall back to 'shop')."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60]
    return slug or "shop"


def unique_slug(session: Session, name: str) -> str:
    """slugify(name), with -2, -3... added if that slug is taken."""
    base = slugify(name)
    taken = set(session.scalars(sa.select(Business.slug).where(
        sa.or_(Business.slug == base, Business.slug.like(f"{base}-%")))))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


@dataclass(frozen=True)
class NewMember:
    """What staff type to onboard a member."""

    legal_name: str
    login: str
    password: str
    group_id: int


def onboard_member(session: Session, data: NewMember, locale: str | None = None) -> Member:
    """An entrepreneur account and her membership of an SHG (not a closed one)."""
    check_open(session.get_one(SelfHelpGroup, data.group_id))
    user = create_user(session, name=data.legal_name.split()[0] if data.legal_name.strip() else "",
                       login=data.login, password=data.password, role=Role.ENTREPRENEUR, locale=locale)
    member = Member(user_id=user.id, group_id=data.group_id, legal_name=data.legal_name.strip())
    session.add(member)
    session.flush()
    return member


ShopNameError = PublicTextError  # a shop's name or story that would let buyers reach or find who the seller is


def check_public_text(owners: list[Member], **fields: str) -> None:
    """Refuse a shop's public text (by field name) with a contact or an owner's own name: buyers must not find her."""
    security.check_public_text(fields, [owner.legal_name for owner in owners])


def open_business(session: Session, *, owners: list[Member], public_name: str, trade: str,
                  story: str = "", show_group: bool = False) -> Business:
    """A storefront owned by one member, or by several members of the same group."""
    if not owners:
        raise ValueError("a business needs at least one owner")
    check_public_text(owners, public_name=public_name, story=story)
    groups = {m.group_id for m in owners}
    if len(groups) != 1:
        raise ValueError("a group business belongs to members of one SHG")
    if trade not in TRADES:
        raise ValueError(f"unknown trade {trade!r}")
    business = Business(group_id=groups.pop(), kind="group" if len(owners) > 1 else "individual",
                        public_name=public_name.strip(), slug=unique_slug(session, public_name),
                        story=story, trade=trade, show_group=show_group)
    business.owners = list(owners)
    session.add(business)
    session.flush()
    return business


def update_storefront(session: Session, business: Business, *, public_name: str, story: str,
                      show_group: bool) -> None:
    """Change what buyers see of the shop; raises ShopNameError if it names an owner or holds a contact."""
    public_name, story = public_name.strip(), story.strip()
    check_public_text(business.owners, public_name=public_name, story=story)
    business.public_name, business.story, business.show_group = public_name, story, show_group
    session.flush()


def assign_staff(session: Session, user: User, organisation_ids: list[int]) -> None:
    """Replace the organisations a staff account is assigned to."""
    if user.role != Role.STAFF:
        raise ValueError("only staff accounts are assigned to organisations")
    session.execute(sa.delete(StaffAssignment).where(StaffAssignment.user_id == user.id))
    session.add_all(StaffAssignment(user_id=user.id, organisation_id=o) for o in sorted(set(organisation_ids)))
    session.flush()


def member_for_user(session: Session, user: User) -> Member | None:
    """The member record of an entrepreneur account."""
    return session.scalar(sa.select(Member).where(Member.user_id == user.id)
                          .options(selectinload(Member.businesses)))


def organisations_overview(session: Session, visible: set[int] | None) -> list[tuple[Organisation, int, int]]:
    """Each visible organisation with its number of SHGs and members."""
    groups = (sa.select(sa.func.count(SelfHelpGroup.id)).where(SelfHelpGroup.organisation_id == Organisation.id)
              .scalar_subquery())
    members = (sa.select(sa.func.count(Member.id)).join(SelfHelpGroup)
               .where(SelfHelpGroup.organisation_id == Organisation.id).scalar_subquery())
    stmt = sa.select(Organisation, groups, members).order_by(Organisation.state_code, Organisation.name)
    if visible is not None:
        stmt = stmt.where(Organisation.id.in_(visible or [-1]))
    return [tuple(row) for row in session.execute(stmt)]


def group_member_counts(session: Session, group_ids: list[int]) -> dict[int, int]:
    """Members per SHG for the given groups."""
    rows = session.execute(sa.select(Member.group_id, sa.func.count()).where(Member.group_id.in_(group_ids))
                           .group_by(Member.group_id))
    return {group_id: count for group_id, count in rows}


def export_member(session: Session, user: User) -> dict | None:
    """Her membership and shops, for her own download; None for accounts that are not members."""
    member = member_for_user(session, user)
    if member is None:
        return None
    return {"legal_name": member.legal_name, "joined_on": member.joined_on.isoformat(),
            "self_help_group": member.group.name, "organisation": member.group.organisation.name,
            "businesses": [{"public_name": b.public_name, "story": b.story, "trade": b.trade,
                            "paused": b.is_paused} for b in member.businesses]}
