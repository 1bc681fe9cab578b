"""Catalogue services: listing, editing, publishing and archiving products. They flush, never commit.

Every change that buyers can see queues the product for the search index in the same transaction,
so a crash can never leave the index promising a product the database does not have (or missing one).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from catalog.images import delete_photo, process_upload
from catalog.models import Category, CategoryName, Photo, Product, SearchQueue, Status, Variant, WholesaleTier
from market.core.db import utcnow
from market.core.errors import Refusal
from market.core.money import MAX_STORED_PAISE
from market.core.security import check_public_text
from vendors.models import Business

if TYPE_CHECKING:
    from catalog.images import StoredPhoto

MAX_PHOTOS = 6
MAX_VARIANTS = 20
MAX_TIERS = 5
MAX_STOCK = 100_000
FSSAI = re.compile(r"^\d{14}$")


TOO_MANY_PHOTOS = _l("A product can have at most %(n)d photos.", n=MAX_PHOTOS)


class CatalogError(Refusal):
    """A product change that cannot be made; the message is for the seller."""


@dataclass(frozen=True)
class VariantData:
    """One size/colour row of the product form."""

    price_paise: int
    stock: int
    size: str = ""
    colour: str = ""


@dataclass(frozen=True)
class TierData:
    """One wholesale row: buy at least min_qty, pay unit_price_paise each."""

    min_qty: int
    unit_price_paise: int


@dataclass(frozen=True)
class ProductData:
    """Everything the product form says, already parsed (rupees to paise, text trimmed)."""

    title: str
    category_id: int
    variants: list[VariantData]
    description: str = ""
    tiers: list[TierData] = field(default_factory=list)
    wholesale_min_qty: int | None = None
    made_to_order: bool = False
    lead_time_days: int | None = None
    fssai_number: str | None = None
    shelf_life_days: int | None = None
    diet: str | None = None


@dataclass(frozen=True)
class Kind:
    """A category as pages show it (the trades bar, a card's icon, a product's crumbs)."""

    id: int
    slug: str
    name: str
    trade: str
    parent: Kind | None
    retired: bool = False  # no new products in it; those in it stay

    @property
    def parent_id(self) -> int | None:
        return self.parent.id if self.parent else None


@dataclass(frozen=True)
class Taxonomy:
    by_id: dict[int, Kind]
    by_slug: dict[str, Kind]
    roots: tuple[Kind, ...]
    children: dict[int, list[int]]
    written: dict[str, dict[str, str]] = field(default_factory=dict)  # English name -> locale -> admin's name
    read_at: float = 0.0


TAXONOMY_KEPT_FOR = 60  # seconds: a category an admin adds or renames reaches the other processes within a minute


def taxonomy(session: Session) -> Taxonomy:
    """Every category, read once a minute per process (and at once in the process of an admin who changed
    them), so pages need no query for them. Names admins wrote per language go to `category_name`."""
    cached = current_app.extensions.get("haat.taxonomy")
    kept_for = current_app.config.get("TAXONOMY_KEPT_FOR", TAXONOMY_KEPT_FOR)
    if cached is None or cached.read_at + kept_for < time.monotonic():
        rows = session.execute(sa.select(Category.id, Category.parent_id, Category.slug, Category.name,
                                          Category.trade, Category.retired)
                               .order_by(Category.parent_id.is_not(None), Category.position, Category.id)).all()
        by_id: dict[int, Kind] = {}
        children: dict[int, list[int]] = {}
        for row in rows:  # roots first, so a child's parent is already made (the tree is two levels deep)
            by_id[row.id] = Kind(row.id, row.slug, row.name, row.trade, by_id.get(row.parent_id), row.retired)
            if row.parent_id is not None:
                children.setdefault(row.parent_id, []).append(row.id)
        written: dict[str, dict[str, str]] = {}
        for category_id, locale, name in session.execute(sa.select(CategoryName.category_id, CategoryName.locale,
                                                                   CategoryName.name)):
            if category_id in by_id:
                written.setdefault(by_id[category_id].name, {})[locale] = name
        cached = Taxonomy(by_id, {k.slug: k for k in by_id.values()},
                          tuple(k for k in by_id.values() if k.parent is None), children, written, time.monotonic())
        if by_id:  # none yet: a database not migrated; read again next time
            current_app.extensions["haat.taxonomy"] = cached
    return cached


def forget_taxonomy() -> None:
    """Categories changed: this process reads them again at once (the others within TAXONOMY_KEPT_FOR)."""
    current_app.extensions.pop("haat.taxonomy", None)
    current_app.extensions["haat.taxonomy_changed"] = True


def leaf_categories(session: Session, keep: int | None = None) -> list[Kind]:
    """Categories a product can be listed in, grouped by trade (each trade's in their order); a retired one only
    when it is `keep`, the product's own."""
    return sorted((k for k in taxonomy(session).by_id.values() if k.parent and (not k.retired or k.id == keep)),
                  key=lambda k: k.trade)


def root_categories(session: Session) -> tuple[Kind, ...]:
    """The four trades, in their order."""
    return taxonomy(session).roots


def category_ids(session: Session, slug: str) -> list[int]:
    """A category's id and its children's ids (browsing a trade shows all its kinds)."""
    tree = taxonomy(session)
    kind = tree.by_slug.get(slug)
    return [kind.id, *tree.children.get(kind.id, [])] if kind else []


def check(session: Session, data: ProductData, current_category_id: int | None = None) -> Category:
    """Raise CatalogError for the first rule the data breaks; return its category (a retired one only for a
    product already in it)."""
    if not data.title.strip():
        raise CatalogError(_l("Give the product a name."))
    if len(data.title) > 120:
        raise CatalogError(_l("Keep the name under 120 letters."))
    if len(data.description) > 4000:
        raise CatalogError(_l("Keep the description under 4,000 letters."))
    category = session.get(Category, data.category_id)
    if category is None:
        raise CatalogError(_l("Choose a category."))
    if category.retired and category.id != current_category_id:
        raise CatalogError(_l("That category is no longer used. Choose another."))
    if not data.variants:
        raise CatalogError(_l("Give a price and how many you have."))
    if len(data.variants) > MAX_VARIANTS:
        raise CatalogError(_l("At most %(n)d sizes or colours.", n=MAX_VARIANTS))
    seen = set()
    for v in data.variants:
        if v.price_paise <= 0:
            raise CatalogError(_l("Every price must be more than zero."))
        if v.price_paise > MAX_STORED_PAISE:
            raise CatalogError(_l("That amount is too large."))
        if not 0 <= v.stock <= MAX_STOCK:
            raise CatalogError(_l("Stock must be between 0 and %(n)d.", n=MAX_STOCK))
        key = (v.size.strip().lower(), v.colour.strip().lower())
        if key in seen:
            raise CatalogError(_l("Two rows have the same size and colour."))
        seen.add(key)
    _check_wholesale(data)
    if data.made_to_order and data.lead_time_days is None:
        raise CatalogError(_l("Say how many days you need to make it."))
    if data.lead_time_days is not None and not 0 <= data.lead_time_days <= 120:
        raise CatalogError(_l("Making time must be between 0 and 120 days."))
    if category.trade == "food":
        if not data.fssai_number or not FSSAI.match(data.fssai_number):
            raise CatalogError(_l("Food needs the 14-digit FSSAI registration number."))
        if not data.shelf_life_days or not 1 <= data.shelf_life_days <= 730:
            raise CatalogError(_l("Say how many days the food stays good (1 to 730)."))
        if data.diet not in ("veg", "nonveg", "egg"):
            raise CatalogError(_l("Mark the food veg, egg or non-veg."))
    return category


def check_listing_text(business: Business, data: ProductData) -> None:
    """Raise PublicTextError if the title, description, a size or a colour holds a phone number, e-mail address,
    UPI id or an owner's own name (every way a product comes in: the form, a draft from her phone, bulk import)."""
    fields = {"title": data.title, "description": data.description}
    for i, variant in enumerate(data.variants):
        fields |= {f"variants-{i}-size": variant.size, f"variants-{i}-colour": variant.colour}
    check_public_text(fields, [owner.legal_name for owner in business.owners])


def _check_wholesale(data: ProductData) -> None:
    if len(data.tiers) > MAX_TIERS:
        raise CatalogError(_l("At most %(n)d wholesale prices.", n=MAX_TIERS))
    if data.wholesale_min_qty is not None and not 1 <= data.wholesale_min_qty <= MAX_STOCK:
        raise CatalogError(_l("The wholesale minimum must be between 1 and %(n)d.", n=MAX_STOCK))
    if not data.tiers:
        return
    retail = min(v.price_paise for v in data.variants)
    tiers = sorted(data.tiers, key=lambda t: t.min_qty)
    if len({t.min_qty for t in tiers}) != len(tiers):
        raise CatalogError(_l("Two wholesale prices have the same quantity."))
    previous = retail
    for tier in tiers:
        if tier.min_qty < 2:
            raise CatalogError(_l("A wholesale price starts from at least 2 pieces."))
        if not 0 < tier.unit_price_paise < previous:
            raise CatalogError(_l("Each wholesale price must be lower than the price for fewer pieces."))
        previous = tier.unit_price_paise
    if data.wholesale_min_qty is not None and data.wholesale_min_qty > tiers[0].min_qty:
        raise CatalogError(_l("The wholesale minimum cannot be above the first wholesale quantity."))


def _apply(product: Product, data: ProductData, category: Category) -> None:
    product.title = data.title.strip()
    product.description = data.description.strip()
    product.category = category
    product.made_to_order = data.made_to_order
    product.lead_time_days = data.lead_time_days if data.made_to_order else None
    food = category.trade == "food"
    product.fssai_number = data.fssai_number if food else None
    product.shelf_life_days = data.shelf_life_days if food else None
    product.diet = data.diet if food else None
    product.wholesale_min_qty = data.wholesale_min_qty if data.tiers else None
    _replace_variants(product, data.variants)
    product.tiers = [WholesaleTier(min_qty=t.min_qty, unit_price_paise=t.unit_price_paise)
                     for t in sorted(data.tiers, key=lambda t: t.min_qty)]
    refresh_summary(product)


def _replace_variants(product: Product, rows: list[VariantData]) -> None:
    """Update variants in place by (size, colour), so ids held by carts and orders stay valid."""
    existing = {(v.size.lower(), v.colour.lower()): v for v in product.variants}
    kept = []
    for position, row in enumerate(rows):
        key = (row.size.strip().lower(), row.colour.strip().lower())
        variant = existing.pop(key, None) or Variant(size=row.size.strip(), colour=row.colour.strip())
        variant.price_paise, variant.stock, variant.position = row.price_paise, row.stock, position
        kept.append(variant)
    product.variants = kept


def refresh_summary(product: Product) -> None:
    """Keep the list columns (lowest price, in stock, wholesale, state) in step with the details."""
    product.price_paise = min((v.price_paise for v in product.variants), default=0)
    product.in_stock = product.made_to_order or any(v.stock > 0 for v in product.variants)
    product.wholesale = bool(product.tiers)
    product.state_code = product.business.group.organisation.state_code
    product.listed = (product.status == Status.ACTIVE and not product.business.is_paused
                      and product.hidden_reason is None and product.business.hidden_reason is None)


def create_product(session: Session, business: Business, data: ProductData, publish: bool = False) -> Product:
    """A new product of the business, as a draft or published at once."""
    category = check(session, data)
    check_listing_text(business, data)
    product = Product(business=business, status=Status.DRAFT)
    with session.no_autoflush:  # the row is complete only after _apply
        _apply(product, data, category)
    session.add(product)
    if publish:
        _publish(product)
        refresh_summary(product)
    session.flush()
    queue_reindex(session, product)
    return product


def update_product(session: Session, product: Product, data: ProductData) -> Product:
    """Change a product's details; an archived product must be restored first."""
    if product.status == Status.ARCHIVED:
        raise CatalogError(_l("Restore the product before changing it."))
    category = check(session, data, product.category_id)
    check_listing_text(product.business, data)
    _apply(product, data, category)
    session.flush()
    queue_reindex(session, product)
    return product


def _publish(product: Product) -> None:
    if not product.variants:
        raise CatalogError(_l("Give a price before showing it to buyers."))
    product.status = Status.ACTIVE
    product.published_at = product.published_at or utcnow()


def set_status(session: Session, product: Product, status: Status) -> None:
    """Publish (draft -> active), archive (-> archived) or restore (archived -> draft)."""
    allowed = {
        Status.ACTIVE: {Status.DRAFT},
        Status.ARCHIVED: {Status.DRAFT, Status.ACTIVE},
        Status.DRAFT: {Status.ARCHIVED, Status.ACTIVE},
    }
    if product.status not in allowed[status]:
        raise CatalogError(_l("That cannot be done to this product now."))
    if status == Status.ACTIVE:
        _publish(product)
    else:
        product.status = status
    refresh_summary(product)
    session.flush()
    queue_reindex(session, product)


def add_photo(session: Session, product: Product, stored: StoredPhoto) -> Photo:
    """Attach a processed photo; at most MAX_PHOTOS per product."""
    if len(product.photos) >= MAX_PHOTOS:
        raise CatalogError(TOO_MANY_PHOTOS)
    photo = Photo(key=stored.key, width=stored.width, height=stored.height,
                  widths=",".join(str(w) for w in stored.widths),
                  position=max((p.position for p in product.photos), default=-1) + 1)
    product.photos.append(photo)
    session.flush()
    return photo


def remove_photo(session: Session, product: Product, photo_id: int) -> str:
    """Detach a photo; returns its key so the caller deletes the files after commit."""
    photo = next((p for p in product.photos if p.id == photo_id), None)
    if photo is None:
        raise CatalogError(_l("That photo is not on this product."))
    product.photos.remove(photo)
    session.flush()
    return photo.key


def change_stock(session: Session, product: Product, variant_id: int, by: int) -> int:
    """One more or one fewer piece of a variant (a tap on her products list); the new stock. One conditional
    UPDATE: a sale taking the last piece at the same moment cannot make the stock negative."""
    if by not in (-1, 1):
        raise CatalogError(_l("Change the stock one piece at a time."))
    variant = next((v for v in product.variants if v.id == variant_id), None)
    if variant is None:
        raise CatalogError(_l("That size is not on this product."))
    left = session.scalar(sa.update(Variant).where(Variant.id == variant.id, Variant.stock + by >= 0,
                                                   Variant.stock + by <= MAX_STOCK)
                          .values(stock=Variant.stock + by).returning(Variant.stock)
                          .execution_options(synchronize_session=False))
    session.expire(variant, ["stock"])
    if left is None:
        raise CatalogError(_l("None left to take away.") if by < 0 else _l("That is the most stock allowed."))
    refresh_summary(product)
    queue_reindex(session, product)
    session.flush()
    return left


def queue_reindex(session: Session, product: Product) -> None:
    """Ask for the product's search entry to be rewritten (or removed) after this transaction."""
    session.add(SearchQueue(product_id=product.id))


def set_shop_paused(session: Session, business: Business, paused: bool) -> int:
    """Pause or reopen a shop: its products leave or return to the buyers' lists. Returns how many."""
    business.is_paused = paused
    ids = list(session.scalars(sa.select(Product.id).where(Product.business_id == business.id,
                                                            Product.status == Status.ACTIVE,
                                                            Product.hidden_reason.is_(None))))
    if ids:
        shown = not paused and business.hidden_reason is None  # a shop hidden by staff stays out of the lists
        session.execute(sa.update(Product).where(Product.id.in_(ids)).values(listed=shown)
                        .execution_options(synchronize_session="fetch"))
        session.add_all(SearchQueue(product_id=i) for i in ids)
    session.flush()
    return len(ids)


def withdraw_products(session: Session, business: Business) -> list[str]:
    """A shop closed for good (its owner erased her data): every product archived, out of the buyers' lists and
    of search (queued), its description and photo rows gone. The product and variant rows stay under the shop's
    public name, because order lines and invoices point at them. Returns the photo keys: the caller deletes
    their files after the commit."""
    keys: list[str] = []
    for product in session.scalars(sa.select(Product).where(Product.business_id == business.id)):
        keys += [photo.key for photo in product.photos]
        product.photos.clear()
        product.status, product.description = Status.ARCHIVED, ""
        product.listed = False
        queue_reindex(session, product)
    session.flush()
    return keys


class StagedPhotos:
    """Photos processed before the database change; deleted again unless the change commits.

    Use as `with StagedPhotos(media_dir) as staged: staged.add(file); ...; commit; staged.keep()`.
    """

    def __init__(self, media_dir):
        self.media_dir = media_dir
        self.stored: list[StoredPhoto] = []
        self._kept = False

    def __enter__(self) -> StagedPhotos:
        return self

    def add(self, data, turn: int = 0) -> StoredPhoto:
        """Run one upload through the pipeline, turned `turn` degrees clockwise (raises images.PhotoError)."""
        stored = process_upload(data, self.media_dir, turn)
        self.stored.append(stored)
        return stored

    def keep(self) -> None:
        """The change committed: the files stay."""
        self._kept = True

    def __exit__(self, *_exc) -> None:
        if not self._kept:
            for stored in self.stored:
                delete_photo(self.media_dir, stored.key)
