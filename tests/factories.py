"""gen_* factories with defaults; pass keyword arguments to change what a test cares about."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from catalog.models import Category, Product
from catalog.services import ProductData, TierData, VariantData, create_product
from market.core import clock
from market.core.accounts import create_user
from market.core.models import Role, User
from orders.models import QuoteRequest
from orders.quotes import Terms, accept, offer
from orders.status import Actor
from vendors.models import Business, Member, Organisation, Programme, ProgrammeState, SelfHelpGroup
from vendors.services import NewMember, assign_staff, onboard_member, open_business

PASSWORD = "correct-horse-9"
_seq = itertools.count(1)


def gen_user(session: Session, role: Role = Role.BUYER, **kwargs) -> User:
    n = next(_seq)
    values = {"name": f"User {n}", "login": f"user{n}@example.com", "password": PASSWORD, **kwargs}
    return create_user(session, role=role, **values)


def gen_programme(session: Session, **kwargs) -> Programme:
    programme = Programme(name=kwargs.pop("name", f"Programme {next(_seq)}"), **kwargs)
    session.add(programme)
    session.flush()
    return programme


def gen_organisation(session: Session, programme: Programme | None = None, **kwargs) -> Organisation:
    n = next(_seq)
    values = {"name": f"Organisation {n}", "state_code": "MH", "district": "Pune",
              "pickup_address": f"Collective office {n}, Market Road", **kwargs}
    org = Organisation(programme=programme or gen_programme(session), **values)
    session.add(org)
    session.flush()
    if session.get(ProgrammeState, (org.programme_id, org.state_code)) is None:  # its state is the programme's
        session.add(ProgrammeState(programme_id=org.programme_id, state_code=org.state_code))
        session.flush()
    return org


def gen_group(session: Session, organisation: Organisation | None = None, **kwargs) -> SelfHelpGroup:
    n = next(_seq)
    values = {"name": f"Group {n}", "area": f"Ward {n}", **kwargs}
    group = SelfHelpGroup(organisation=organisation or gen_organisation(session), **values)
    session.add(group)
    session.flush()
    return group


def gen_member(session: Session, group: SelfHelpGroup | None = None, **kwargs) -> Member:
    n = next(_seq)
    group = group or gen_group(session)
    data = NewMember(legal_name=kwargs.pop("legal_name", f"Legalname{n} Surname{n}"),
                     login=kwargs.pop("login", f"+9198{n:08d}"), password=PASSWORD, group_id=group.id)
    return onboard_member(session, data)


def gen_business(session: Session, owners: list[Member] | None = None, **kwargs) -> Business:
    n = next(_seq)
    values = {"public_name": f"Shop {n}", "trade": "food", "story": "Made at home.", **kwargs}
    return open_business(session, owners=owners or [gen_member(session)], **values)


def category(session: Session, slug: str = "snacks") -> Category:
    """A category made by the migrations (see REFERENCE_TABLES in conftest)."""
    return session.scalar(sa.select(Category).where(Category.slug == slug))


FOOD_LABELS = {"fssai_number": "12345678901234", "shelf_life_days": 90, "diet": "veg"}


def gen_product(session: Session, business: Business | None = None, *, category_slug: str = "kurtis-tops",
                price_paise: int = 45_000, stock: int = 10, publish: bool = True,
                variants: list[VariantData] | None = None, tiers: list[TierData] | None = None,
                **kwargs) -> Product:
    """A product (published by default); food gets valid FSSAI labels unless given."""
    n = next(_seq)
    cat = category(session, category_slug)
    extra = dict(FOOD_LABELS) if cat.trade == "food" else {}
    extra.update(kwargs)
    data = ProductData(title=extra.pop("title", f"Product {n}"), category_id=cat.id,
                       description=extra.pop("description", "Handmade with care."),
                       variants=variants or [VariantData(price_paise=price_paise, stock=stock)],
                       tiers=tiers or [], **extra)
    return create_product(session, business or gen_business(session), data, publish=publish)


def gen_wholesaler(session: Session, approved: bool = True, **kwargs) -> User:
    """A wholesaler account with its business profile, approved unless told otherwise."""
    from orders.models import WholesalerProfile

    user = gen_user(session, Role.WHOLESALER, **kwargs)
    session.add(WholesalerProfile(user_id=user.id, business_name=f"Traders {user.id}",
                                  status="approved" if approved else "pending"))
    session.flush()
    return user


def photo_bytes(width: int = 800, height: int = 600, fmt: str = "JPEG", colour=(180, 60, 90)) -> bytes:
    """A small photo made in memory."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, fmt)
    return buffer.getvalue()


@dataclass
class World:
    """A small programme: organisation A (Maharashtra) and B (Tamil Nadu), an account per role."""

    org_a: Organisation
    org_b: Organisation
    group_a: SelfHelpGroup
    group_b: SelfHelpGroup
    member_a: Member
    member_b: Member
    shop_a: Business
    shop_b: Business
    buyer: User
    wholesaler: User
    staff_a: User
    staff_b: User
    admin: User

    def user(self, role: str) -> User | None:
        return {"entrepreneur": self.member_a.user, "buyer": self.buyer, "wholesaler": self.wholesaler,
                "staff": self.staff_a, "admin": self.admin}.get(role)


def world(session: Session) -> World:
    programme = gen_programme(session)
    org_a = gen_organisation(session, programme, name="Org A", state_code="MH")
    org_b = gen_organisation(session, programme, name="Org B", state_code="TN", district="Madurai")
    group_a, group_b = gen_group(session, org_a), gen_group(session, org_b)
    member_a = gen_member(session, group_a, legal_name="Sunita Secretname", login="+919812345601")
    member_b = gen_member(session, group_b, legal_name="Selvi Hiddenname", login="+919812345602")
    shop_a = gen_business(session, [member_a], public_name="Rangoli Stitches", trade="garments")
    shop_b = gen_business(session, [member_b], public_name="Podi Box", trade="food")
    staff_a = gen_user(session, Role.STAFF, login="staff.a@example.com")
    staff_b = gen_user(session, Role.STAFF, login="staff.b@example.com")
    assign_staff(session, staff_a, [org_a.id])
    assign_staff(session, staff_b, [org_b.id])
    w = World(org_a, org_b, group_a, group_b, member_a, member_b, shop_a, shop_b,
              buyer=gen_user(session, Role.BUYER, login="buyer@example.com"),
              wholesaler=gen_user(session, Role.WHOLESALER, login="wholesaler@example.com"),
              staff_a=staff_a, staff_b=staff_b,
              admin=gen_user(session, Role.ADMIN, login="admin@example.com"))
    session.commit()
    return w


def agree_quote(session: Session, quote: QuoteRequest, price_paise: int, advance_percent: int = 0) -> None:
    """The seller offers this price from stock with this advance (valid a week) and the buyer accepts it."""
    offer(session, quote, quote.business.owners[0].user, Actor.SELLER,
          Terms(price_paise, clock.today() + timedelta(days=7), advance_percent=advance_percent))
    accept(session, quote, quote.buyer, Actor.BUYER)
