"""Products, their variants, wholesale tiers, photos and categories.

Prices are integer paise. A product's `price_paise`, `in_stock`, `wholesale`, `state_code` and `listed`
are kept in step with its variants, tiers, status and business by catalog.services, so the buyers'
lists and facets read one table through one index.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from market.core.db import Base, UTCDateTime, utcnow
from vendors.models import Business


class Status(enum.StrEnum):
    """Where a product is in its life: only active products are shown to buyers."""

    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"


class Category(Base):
    """A category; the four roots are the trades (garments, food, jewellery, handicrafts)."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    trade: Mapped[str] = mapped_column(sa.String(20))  # the root's slug, for rules such as food labelling
    position: Mapped[int] = mapped_column(default=0)
    retired: Mapped[bool] = mapped_column(default=False, server_default=sa.false())  # no new products in it
    merged_into_id: Mapped[int | None]  # merged: its products moved there

    parent: Mapped[Category | None] = relationship(remote_side=[id])


class CategoryName(Base):
    """A category's name in one language, written by an admin (names from the migrations are in the catalogue)."""

    __tablename__ = "category_names"

    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True)
    locale: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))


class Product(Base):
    """Something a business sells."""

    __tablename__ = "products"
    __table_args__ = (
        sa.CheckConstraint("status IN ('draft', 'active', 'archived')", name="status_known"),
        sa.CheckConstraint("price_paise >= 0", name="price_not_negative"),
        sa.CheckConstraint("wholesale_min_qty IS NULL OR wholesale_min_qty >= 1", name="moq_positive"),
        sa.CheckConstraint("lead_time_days IS NULL OR lead_time_days BETWEEN 0 AND 120", name="lead_time_sane"),
        sa.CheckConstraint("shelf_life_days IS NULL OR shelf_life_days BETWEEN 1 AND 730", name="shelf_life_sane"),
        sa.CheckConstraint("diet IS NULL OR diet IN ('veg', 'nonveg', 'egg')", name="diet_known"),
        # Keyset pagination over what buyers see: newest first and by price, overall and per category.
        sa.Index("ix_products_listed_id", "listed", "id"),
        sa.Index("ix_products_listed_price_id", "listed", "price_paise", "id"),
        sa.Index("ix_products_listed_category_id", "listed", "category_id", "id"),
        sa.Index("ix_products_listed_category_price_id", "listed", "category_id", "price_paise", "id"),
        sa.Index("ix_products_business_status", "business_id", "status"),
        sa.Index("ix_products_client_key", "client_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_id: Mapped[int] = mapped_column(sa.ForeignKey("businesses.id"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id"))
    title: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(10), default=Status.DRAFT)
    hidden_reason: Mapped[str | None] = mapped_column(sa.String(12))  # hidden by staff: catalog.moderation.REASONS
    # The id her phone gave a product she listed offline: sent twice (the answer lost), it is saved once.
    client_key: Mapped[str | None] = mapped_column(sa.String(40))
    price_paise: Mapped[int] = mapped_column(default=0)  # lowest variant price
    in_stock: Mapped[bool] = mapped_column(default=False)
    wholesale: Mapped[bool] = mapped_column(default=False)
    wholesale_min_qty: Mapped[int | None]
    made_to_order: Mapped[bool] = mapped_column(default=False)
    lead_time_days: Mapped[int | None]
    fssai_number: Mapped[str | None] = mapped_column(sa.String(14))
    shelf_life_days: Mapped[int | None]
    diet: Mapped[str | None] = mapped_column(sa.String(8))
    state_code: Mapped[str] = mapped_column(sa.String(2), index=True)  # the business's organisation's state
    if TYPE_CHECKING:  # a column_property set after Variant is defined (below); declared here for the type checker
        variant_count: Mapped[int]
    listed: Mapped[bool] = mapped_column(default=False)  # active and the shop is open: buyers see it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    business: Mapped[Business] = relationship()
    category: Mapped[Category] = relationship()
    variants: Mapped[list[Variant]] = relationship(back_populates="product", cascade="all, delete-orphan",
                                                   order_by="Variant.position")
    tiers: Mapped[list[WholesaleTier]] = relationship(back_populates="product", cascade="all, delete-orphan",
                                                      order_by="WholesaleTier.min_qty")
    photos: Mapped[list[Photo]] = relationship(back_populates="product", cascade="all, delete-orphan",
                                               order_by="Photo.position")


class Variant(Base):
    """A size and/or colour of a product, with its own price and stock."""

    __tablename__ = "variants"
    __table_args__ = (
        sa.UniqueConstraint("product_id", "size", "colour"),
        sa.CheckConstraint("price_paise > 0", name="price_positive"),
        sa.CheckConstraint("stock >= 0", name="stock_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    size: Mapped[str] = mapped_column(sa.String(20), default="")
    colour: Mapped[str] = mapped_column(sa.String(30), default="")
    price_paise: Mapped[int]
    stock: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)
    # Price or stock last changed (also by the UPDATE statements that take stock): the ONDC incremental refresh.
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    product: Mapped[Product] = relationship(back_populates="variants")

    @property
    def label(self) -> str:
        return " / ".join(p for p in (self.size, self.colour) if p)


# How many variants a product has: a card says "from" before the lowest price when there is more than one. Loaded
# with the cards' query (catalog.browse selects it), by a query of its own anywhere else.
Product.variant_count = column_property(
    sa.select(sa.func.count(Variant.id)).where(Variant.product_id == Product.id).correlate_except(Variant)
    .scalar_subquery(), deferred=True)


class WholesaleTier(Base):
    """Buy at least `min_qty` and pay `unit_price_paise` each."""

    __tablename__ = "wholesale_tiers"
    __table_args__ = (
        sa.UniqueConstraint("product_id", "min_qty"),
        sa.CheckConstraint("min_qty >= 2", name="min_qty_bulk"),
        sa.CheckConstraint("unit_price_paise > 0", name="unit_price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    min_qty: Mapped[int]
    unit_price_paise: Mapped[int]

    product: Mapped[Product] = relationship(back_populates="tiers")


class Photo(Base):
    """A product photo, stored re-encoded without metadata under a random key (see catalog.images)."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(sa.String(40), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    width: Mapped[int]
    height: Mapped[int]
    widths: Mapped[str] = mapped_column(sa.String(40))  # "160,320,640,1080": the renditions written
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)  # the ONDC incremental refresh

    product: Mapped[Product] = relationship(back_populates="photos")

    @property
    def width_list(self) -> list[int]:
        return [int(w) for w in self.widths.split(",") if w]


class ListingReport(Base):
    """A buyer's report of a listing: a reason from a short list and her words (contacts hidden)."""

    __tablename__ = "listing_reports"
    __table_args__ = (sa.Index("ix_listing_reports_open", "closed_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.String(12))
    words: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    product: Mapped[Product] = relationship()


class SearchQueue(Base):
    """Products whose search entry must be rewritten; filled in the same transaction as the change."""

    __tablename__ = "search_queue"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(index=True)  # no FK: a deleted product must still be unindexed
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
