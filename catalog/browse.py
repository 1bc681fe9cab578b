"""What buyers see: filters from the query string, and keyset-paginated product lists."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from catalog.models import Category, Photo, Product
from market.core.i18n import N_
from market.core.pagination import parse_id
from vendors.models import Business
from vendors.states import STATES

PER_PAGE = 24
# Labels marked for the catalogue (N_) and translated where shown (`_(label)` in catalog/_filters.html, through
# the request's catalogue read once): lazy strings would each go through Flask-Babel's lookups again.
SORTS = {"newest": N_("Newest"), "price_asc": N_("Price: low to high"), "price_desc": N_("Price: high to low")}
PRICE_BANDS = {  # slug -> (label, from paise inclusive, to paise exclusive)
    "under-250": (N_("Under ₹250"), None, 25_000),
    "250-500": (N_("₹250 to ₹500"), 25_000, 50_000),
    "500-1000": (N_("₹500 to ₹1,000"), 50_000, 100_000),
    "1000-2500": (N_("₹1,000 to ₹2,500"), 100_000, 250_000),
    "over-2500": (N_("Over ₹2,500"), 250_000, None),
}


@dataclass(frozen=True)
class Filters:
    """The facets and sort a buyer chose; anything unknown in the query string is ignored."""

    category: str | None = None
    price: str | None = None
    state: str | None = None
    wholesale: bool = False
    in_stock: bool = False
    sort: str = "newest"

    @classmethod
    def from_args(cls, args, category: str | None = None) -> Filters:
        """Read the filters from request.args, dropping values that are not ours."""
        price = args.get("price")
        state = (args.get("state") or "").upper()
        sort = args.get("sort", "newest")
        return cls(category=category or args.get("category") or None,
                   price=price if price in PRICE_BANDS else None,
                   state=state if state in STATES else None,
                   wholesale=args.get("wholesale") == "1", in_stock=args.get("in_stock") == "1",
                   sort=sort if sort in SORTS else "newest")

    def args(self, **change) -> dict:
        """Query-string arguments for a link to these filters with some changed."""
        f = replace(self, **change)
        out = {"category": f.category, "price": f.price, "state": f.state,
               "sort": None if f.sort == "newest" else f.sort,
               "wholesale": "1" if f.wholesale else None, "in_stock": "1" if f.in_stock else None}
        return {k: v for k, v in out.items() if v}

    @property
    def price_range(self) -> tuple[int | None, int | None]:
        if self.price is None:
            return None, None
        _label, low, high = PRICE_BANDS[self.price]
        return low, high


class CardPhoto(NamedTuple):
    """The first photo of a card: what its <picture> needs (the fields of catalog.models.Photo it reads)."""

    key: str
    width: int
    height: int
    widths: str

    @property
    def width_list(self) -> list[int]:
        return [int(w) for w in self.widths.split(",") if w]


class Card(NamedTuple):
    """What a product card shows, as plain values read in one query: no ORM object, no lazy load possible.
    Its category comes from catalog.services.taxonomy (kind(category_id) in templates), with no query."""

    id: int
    title: str
    price_paise: int
    variant_count: int
    wholesale: bool
    in_stock: bool
    category_id: int
    shop_name: str  # the shop's public name
    photo: CardPhoto | None


@dataclass(frozen=True)
class ProductPage:
    """One page of products and the cursor of the next page, if any."""

    items: list[Card]
    next_cursor: str | None


# A card's first photo (by position, then id, as Product.photos orders them) as one text, "key|width|height|160,
# 320,...": one correlated lookup by the photos' product_id index per card, portable to SQLite and PostgreSQL,
# where a join to a subquery would cost more to build than the page's whole query takes to run. Keys are URL-safe
# (catalog.images.valid_key): no "|" in them.
_FIRST_PHOTO = (sa.select(Photo.key + "|" + sa.cast(Photo.width, sa.String) + "|" + sa.cast(Photo.height, sa.String)
                          + "|" + Photo.widths)
                .where(Photo.product_id == Product.id).order_by(Photo.position, Photo.id).limit(1)
                .correlate(Product).scalar_subquery())


def _card_query() -> sa.Select:
    """What a card shows, for products joined to their shops: filter, sort and limit it, then read it with
    _cards."""
    return (sa.select(Product.id, Product.title, Product.price_paise, Product.variant_count, Product.wholesale,
                      Product.in_stock, Product.category_id, Business.public_name, _FIRST_PHOTO)
            .join(Business, Business.id == Product.business_id))


def _cards(session: Session, stmt: sa.Select) -> list[Card]:
    return [Card(id, title, price, variants, wholesale, in_stock, category_id, shop, _photo(photo))
            for id, title, price, variants, wholesale, in_stock, category_id, shop, photo in session.execute(stmt)]


def _photo(text: str | None) -> CardPhoto | None:
    if text is None:
        return None
    key, width, height, widths = text.split("|", 3)
    return CardPhoto(key, int(width), int(height), widths)


def listed_products(session: Session, filters: Filters, category_ids: list[int] | None, cursor: str | None,
                    per_page: int = PER_PAGE, business_id: int | None = None) -> ProductPage:
    """A page of what buyers may see, filtered and sorted, starting after the cursor (no OFFSET)."""
    stmt = _card_query().where(Product.listed)  # plain `listed`, not IS TRUE: PostgreSQL indexes only =
    if category_ids is not None:
        stmt = stmt.where(Product.category_id.in_(category_ids or [-1]))
    if business_id is not None:
        stmt = stmt.where(Product.business_id == business_id)
    low, high = filters.price_range
    if low is not None:
        stmt = stmt.where(Product.price_paise >= low)
    if high is not None:
        stmt = stmt.where(Product.price_paise < high)
    if filters.state:
        stmt = stmt.where(Product.state_code == filters.state)
    if filters.wholesale:
        stmt = stmt.where(Product.wholesale.is_(True))
    if filters.in_stock:
        stmt = stmt.where(Product.in_stock.is_(True))

    position = parse_cursor(cursor, filters.sort)
    if filters.sort == "newest":
        if position is not None:
            stmt = stmt.where(Product.id < position[1])
        stmt = stmt.order_by(Product.id.desc())
    elif filters.sort == "price_asc":
        if position is not None:
            stmt = stmt.where(sa.tuple_(Product.price_paise, Product.id) > position)
        stmt = stmt.order_by(Product.price_paise, Product.id)
    else:
        if position is not None:
            stmt = stmt.where(sa.tuple_(Product.price_paise, Product.id) < position)
        stmt = stmt.order_by(Product.price_paise.desc(), Product.id.desc())

    rows = _cards(session, stmt.limit(per_page + 1))
    more = len(rows) > per_page
    rows = rows[:per_page]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = str(last.id) if filters.sort == "newest" else f"{last.price_paise}.{last.id}"
    return ProductPage(rows, next_cursor)


def parse_cursor(cursor: str | None, sort: str) -> tuple[int, int] | None:
    """(price, id) from 'price.id', or (0, id) from 'id'; junk means the first page."""
    if not cursor or len(cursor) > 40:
        return None
    parsed = [parse_id(p) for p in cursor.split(".")]
    parts = [p for p in parsed if p is not None]
    if len(parts) != len(parsed):
        return None
    if sort == "newest" and len(parts) == 1:
        return 0, parts[0]
    if sort != "newest" and len(parts) == 2:
        return parts[0], parts[1]
    return None


def products_by_ids(session: Session, ids: list[int]) -> list[Card]:
    """The cards of the listed products among `ids`, in the order of `ids` (search results)."""
    if not ids:
        return []
    rows = _cards(session, _card_query().where(Product.id.in_(ids), Product.listed))
    by_id = {card.id: card for card in rows}
    return [by_id[i] for i in ids if i in by_id]


def shop_categories(session: Session, business_id: int) -> list[Category]:
    """The categories a shop has products on sale in, for its page's chips."""
    listed = sa.select(Product.category_id).where(Product.business_id == business_id, Product.listed)
    return list(session.scalars(sa.select(Category).where(Category.id.in_(listed))  # the same order in every language
                                .order_by(Category.trade, Category.position)))


def open_shops(session: Session, after: int | None, per_page: int = PER_PAGE) -> tuple[list[Business], int | None]:
    """Open shops, newest first, keyset-paginated by id."""
    stmt = (sa.select(Business).where(Business.is_paused.is_(False), Business.hidden_reason.is_(None))
            .options(selectinload(Business.group)))
    if after is not None:
        stmt = stmt.where(Business.id < after)
    rows = list(session.scalars(stmt.order_by(Business.id.desc()).limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    return rows, (rows[-1].id if more and rows else None)
