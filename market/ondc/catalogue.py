"""What Haat answers to an ONDC `search`: the `on_search` catalogue of its members' shops (retail 1.2.0).

`on_search(session, context, message)` builds the body of the callback for one search: the whole catalogue of
a domain, or only a city's shops (context.city "std:020"), one category (intent.category.id, the taxonomy's
name) or items whose name matches (intent.item.descriptor.name). `on_search_pages` yields the same answer a page
of providers at a time, as the contract lets a seller app send a full catalogue (one callback per page).
`changed_items(session, since)` is the incremental refresh: the products whose details, price, stock or photos
changed since a moment, as the body of an unsolicited on_search.

What the network sees of a shop, and nothing more (the sellers' safety, DESIGN.md):
- the provider is the shop (`Business.public_name`), never its members; its location is the collective's pickup
  point (`Organisation.pickup_address`, pincode, GPS), never a member's home;
- the contact on every fulfilment and the consumer-care line is Haat's (config `ONDC_CONSUMER_CARE`), never hers;
- the packer named on packaged goods is the shop's public name at the collective's address.

Each sellable variant is one ONDC item (a SKU: its own price and stock); a product's variants are grouped by a
`variant_group` category, as the contract's fashion example does. Prices go as rupees with two decimals from
integer paise; stock as a count capped at `MAX_COUNT`. Hidden, paused, archived, draft and sold-out products are
left out, and so is a product that lacks what its domain requires (`exclusions` says why, for her page).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session, selectinload

from catalog.models import Category, Photo, Product, Variant
from market.core.db import utcnow
from market.ondc import taxonomy
from market.ondc.taxonomy import Mapping
from orders.hsn import UnknownCategory, rule_for
from vendors.models import Business, Organisation, SelfHelpGroup
from vendors.states import STATES

MAX_COUNT = 99  # stock shown as at most this many (quantity.available / maximum): the network needs no more
PROVIDERS_PER_PAGE = 20  # shops per on_search callback
ITEMS_PER_PROVIDER = 200  # items (variants) per shop per callback: the contract's buyer apps cache per provider
PHOTO_WIDTH = 640  # the rendition sent as the item's image
TIME_TO_SHIP = "P2D"  # a ready product leaves the collective within two days
DEFAULT_CONSUMER_CARE = "Haat support,support@haat.example.org,18000000000"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:5000"
# Colour names sellers write, as the hex the fashion attributes ask for (CSS's values); others go by name only.
COLOURS = {"black": "#000000", "white": "#FFFFFF", "red": "#FF0000", "maroon": "#800000", "pink": "#FFC0CB",
           "orange": "#FFA500", "yellow": "#FFFF00", "green": "#008000", "blue": "#0000FF", "navy": "#000080",
           "purple": "#800080", "brown": "#A52A2A", "grey": "#808080", "gray": "#808080", "gold": "#FFD700",
           "silver": "#C0C0C0", "beige": "#F5F5DC", "cream": "#FFFDD0", "magenta": "#FF00FF", "teal": "#008080"}


@dataclass(frozen=True)
class Exclusion:
    """A product kept off the network, and why (a message in the seller's language once translated)."""

    product_id: int
    reason: str


def _setting(key: str, default: str) -> str:
    return (current_app.config.get(key) if has_app_context() else None) or default


def public_url() -> str:
    """Where Haat's public pages and photos are served, for absolute image URLs (the subscriber URL's host)."""
    url = _setting("ONDC_SUBSCRIBER_URL", DEFAULT_PUBLIC_URL)
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def rupees(paise: int) -> str:
    """Integer paise as the contract's price string: 12345 -> "123.45"."""
    return f"{paise // 100}.{paise % 100:02d}"


def iso(moment: datetime | None) -> str:
    """RFC 3339 with milliseconds and Z, as the contract writes timestamps."""
    moment = (moment or utcnow()).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def item_id(variant: Variant) -> str:
    """The network's item id of a variant (select/init quote these back)."""
    return f"v{variant.id}"


def variant_id_of(item: str) -> int | None:
    """The variant id an item id names, or None if it is not one of ours."""
    if item.startswith("v") and item[1:].isdigit():
        return int(item[1:])
    return None


def provider_id(business: Business) -> str:
    return f"b{business.id}"


def location_id(business: Business) -> str:
    """The shop's location: its collective's pickup point, under an id of the shop's own (the network wants a
    location id once in a whole catalogue; several shops share a collective)."""
    return f"b{business.id}-o{business.group.organisation_id}"


def has_pickup_point(organisation: Organisation) -> bool:
    return bool(organisation.pickup_pincode and organisation.pickup_gps and organisation.std_code)


def pickup_location(business: Business, since: str | None = None) -> dict:
    """The shop's location: its collective's pickup point (the office address), never a member's home."""
    organisation = business.group.organisation
    return {
        "id": location_id(business),
        "time": {"label": "enable", "timestamp": since or iso(None), "days": "1,2,3,4,5,6,7",
                 "schedule": {"holidays": []}, "range": {"start": "1000", "end": "1800"}},
        "gps": organisation.pickup_gps,
        "address": {
            "locality": organisation.district,
            "street": organisation.pickup_address,
            "city": organisation.district,
            "area_code": organisation.pickup_pincode,
            "state": STATES.get(organisation.state_code, organisation.state_code),
        },
    }


# -- which products, and which are left out ----------------------------------------------------------------

def exclusion_reason(product: Product, mapping: Mapping | None) -> str | None:
    """Why a listed product cannot go on the network, or None if it can."""
    if mapping is None:
        return taxonomy.REASON_NO_MAPPING
    if mapping.domain in (taxonomy.GROCERY, taxonomy.FOOD_AND_BEVERAGE):
        if not product.fssai_number:
            return taxonomy.REASON_NO_FSSAI
        if not product.diet:
            return taxonomy.REASON_NO_DIET
    if not product.photos:
        return taxonomy.REASON_NO_PHOTO
    if not has_pickup_point(product.business.group.organisation):
        return taxonomy.REASON_NO_PICKUP
    return None


def _wanted(context: dict, message: dict) -> tuple[str | None, str | None, str | None, str | None]:
    """What the search asks: domain, city's STD code, category id, item name (None: any)."""
    intent = (message or {}).get("intent") or {}
    domain = context.get("domain") or None
    city = str(context.get("city") or "*")
    std = city.split(":", 1)[1] if city.startswith("std:") else None
    category = ((intent.get("category") or {}).get("id") or None)
    name = (((intent.get("item") or {}).get("descriptor") or {}).get("name") or None)
    return domain, std, category, name


def _slugs(domain: str | None, category: str | None) -> list[str]:
    return [slug for slug, m in taxonomy.BY_SLUG.items()
            if (domain is None or m.domain == domain) and (category is None or m.category_id == category)]


# What building an item reads, loaded with the products: a page costs the same few queries however many shops.
_LOADS = (selectinload(Product.variants), selectinload(Product.photos), selectinload(Product.category),
          selectinload(Product.business).selectinload(Business.group).selectinload(SelfHelpGroup.organisation))


def _query(std: str | None, slugs: list[str], name: str | None):
    """Listed, in-stock products of open, visible shops, in the wanted categories: by shop, then product."""
    query = (sa.select(Product).join(Business, Business.id == Product.business_id)
             .join(SelfHelpGroup, SelfHelpGroup.id == Business.group_id)
             .join(Organisation, Organisation.id == SelfHelpGroup.organisation_id)
             .join(Category, Category.id == Product.category_id)
             .where(Product.listed.is_(True), Product.in_stock.is_(True), Product.hidden_reason.is_(None),
                    Business.hidden_reason.is_(None), Business.is_paused.is_(False), Category.slug.in_(slugs))
             .options(*_LOADS).order_by(Product.business_id, Product.id))
    if std is not None:
        query = query.where(Organisation.std_code == std)
    if name:
        query = query.where(Product.title.ilike(f"%{name.strip()}%"))
    return query


def exclusions(session: Session, business: Business) -> list[Exclusion]:
    """The shop's listed products that stay off the network, each with its reason (for her products page)."""
    products = session.scalars(sa.select(Product).where(Product.business_id == business.id,
                                                        Product.listed.is_(True))
                               .options(selectinload(Product.photos)).order_by(Product.id))
    found = []
    for product in products:
        reason = exclusion_reason(product, taxonomy.mapping_for(product.category.slug))
        if reason:
            found.append(Exclusion(product.id, reason))
    return found


# -- building the catalogue -----------------------------------------------------------------------------------

def _descriptor(product: Product, base: str) -> dict:
    images = [f"{base}/media/{photo.key}-{_width(photo)}.jpg" for photo in product.photos]
    text = product.description.strip() or product.title
    return {"name": product.title, "symbol": images[0], "short_desc": text[:120], "long_desc": text,
            "images": images}


def _width(photo: Photo) -> int:
    widths = photo.width_list
    return PHOTO_WIDTH if PHOTO_WIDTH in widths else max(widths)


def _code(product: Product) -> str:
    """The item code: "4:<HSN>" (Haat products have no barcode; HSN is what Haat knows of every category)."""
    try:
        return f"4:{rule_for(product.category.slug).hsn}"
    except UnknownCategory:
        return f"6:haat-{product.id}"


def _changed_at(product: Product, variant: Variant) -> datetime:
    """When the item last changed: its product's details or photos, or its own price or stock."""
    moments = [product.updated_at, variant.updated_at, *(photo.created_at for photo in product.photos)]
    return max(moment for moment in moments if moment is not None)


def _attributes(product: Product, variant: Variant, mapping: Mapping) -> list[dict]:
    values = {"brand": product.business.public_name, **mapping.fixed}
    if variant.size:
        values["size"] = variant.size
    elif mapping.domain == taxonomy.FASHION:
        values["size"] = "Free Size"  # she sells it in one size (the fashion list's own word for it)
    colour = " ".join(variant.colour.lower().split())
    if colour:
        values["colour_name"] = colour
        if colour in COLOURS:
            values["colour"] = COLOURS[colour]
    return [{"code": code, "value": value} for code, value in values.items()]


def _item(product: Product, variant: Variant, mapping: Mapping, base: str, care: str) -> dict:
    organisation = product.business.group.organisation
    count = MAX_COUNT if product.made_to_order else min(variant.stock, MAX_COUNT)
    item: dict = {
        "id": item_id(variant),
        "time": {"label": "enable", "timestamp": iso(_changed_at(product, variant))},
        "parent_item_id": f"p{product.id}",
        "descriptor": {**_descriptor(product, base), "code": _code(product)},
        "quantity": {"unitized": {"measure": {"unit": "unit", "value": "1"}},
                     # available is a flag ("99" in stock, "0" not: the contract's default and the validator's
                     # rule); maximum, what one order may take, says how many she has (at most MAX_COUNT).
                     "available": {"count": str(MAX_COUNT) if count else "0"}, "maximum": {"count": str(count)}},
        "price": {"currency": "INR", "value": rupees(variant.price_paise),
                  "maximum_value": rupees(variant.price_paise)},
        "category_id": mapping.category_id,
        "fulfillment_id": "F1",
        "location_id": location_id(product.business),
        "@ondc/org/returnable": mapping.returnable and not product.made_to_order,
        "@ondc/org/cancellable": not product.made_to_order,
        "@ondc/org/return_window": mapping.return_window,
        "@ondc/org/seller_pickup_return": mapping.returnable and not product.made_to_order,
        "@ondc/org/time_to_ship": f"P{max(product.lead_time_days or 0, 2)}D" if product.made_to_order
        else TIME_TO_SHIP,
        "@ondc/org/available_on_cod": False,
        "@ondc/org/contact_details_consumer_care": care,
        "tags": [{"code": "origin", "list": [{"code": "country", "value": "IND"}]}],
    }
    address = f"{organisation.pickup_address}, {organisation.district} {organisation.pickup_pincode}"
    packer = {"manufacturer_or_packer_name": product.business.public_name,
              "manufacturer_or_packer_address": address,
              "common_or_generic_name_of_commodity": product.title,
              "month_year_of_manufacture_packing_import": (product.updated_at or utcnow()).strftime("%m/%Y")}
    if mapping.statutory == taxonomy.PREPACKAGED_FOOD:
        item[taxonomy.PREPACKAGED_FOOD] = {
            "brand_owner_FSSAI_license_no": product.fssai_number,
            "other_FSSAI_license_no": product.fssai_number,
            "importer_FSSAI_license_no": "NA",  # made here, not imported
        }
    if mapping.domain == taxonomy.GROCERY or mapping.statutory == taxonomy.PACKAGED_COMMODITIES:
        item[taxonomy.PACKAGED_COMMODITIES] = packer
    if mapping.domain in (taxonomy.GROCERY, taxonomy.FOOD_AND_BEVERAGE):
        diet = {"veg": "veg", "nonveg": "non_veg", "egg": "egg"}[product.diet or "veg"]
        item["tags"].append({"code": "veg_nonveg", "list": [{"code": diet, "value": "yes"}]})
    if mapping.domain != taxonomy.FOOD_AND_BEVERAGE:
        item["tags"].append({"code": "attribute", "list": _attributes(product, variant, mapping)})
    return item


def _provider(business: Business, products: list[Product], base: str, care: str) -> dict | None:
    items: list[dict] = []
    groups: list[dict] = []
    for product in products:
        mapping = taxonomy.mapping_for(product.category.slug)
        if mapping is None or exclusion_reason(product, mapping):
            continue
        sellable = [v for v in product.variants if product.made_to_order or v.stock > 0]
        if len(items) + len(sellable) > ITEMS_PER_PROVIDER:
            break
        groups.append(_variant_group(product))
        items += [_item(product, v, mapping, base, care) for v in sellable]
    if not items:
        return None
    latest = max(item["time"]["timestamp"] for item in items)  # RFC 3339 in UTC: sorts as it reads
    shop = {"name": business.public_name, "symbol": items[0]["descriptor"]["symbol"],
            "short_desc": business.public_name, "long_desc": (business.story or business.public_name).strip(),
            "images": [items[0]["descriptor"]["symbol"]]}
    return {
        "id": provider_id(business),
        "time": {"label": "enable", "timestamp": latest},
        "fulfillments": [{"id": "F1", "type": "Delivery", "contact": _contact(care)}],
        "descriptor": shop,
        "ttl": "P1D",
        "locations": [pickup_location(business, latest)],
        "categories": groups,
        "items": items,
        "tags": [
            *({"code": "serviceability", "list": [  # delivered anywhere in India (courier), one per category
                {"code": "location", "value": location_id(business)}, {"code": "category", "value": category},
                {"code": "type", "value": "12"}, {"code": "val", "value": "IND"},
                {"code": "unit", "value": "country"}]} for category in dict.fromkeys(i["category_id"] for i in items)),
            {"code": "timing", "list": [
                {"code": "type", "value": "All"}, {"code": "location", "value": location_id(business)},
                {"code": "day_from", "value": "1"}, {"code": "day_to", "value": "7"},
                {"code": "time_from", "value": "1000"}, {"code": "time_to", "value": "1800"}]},
        ],
    }


def _variant_group(product: Product) -> dict:
    attrs = []
    if any(v.size for v in product.variants):
        attrs.append("item.tags.attribute.size")
    if any(v.colour for v in product.variants):
        attrs.append("item.tags.attribute.colour_name")
    attrs = attrs or ["item.quantity.unitized.measure"]  # one variant: grouped by its measure
    return {"id": f"p{product.id}", "descriptor": {"name": product.title},
            "tags": [{"code": "type", "list": [{"code": "type", "value": "variant_group"}]}]
            + [{"code": "attr", "list": [{"code": "name", "value": a}, {"code": "seq", "value": str(n)}]}
               for n, a in enumerate(attrs, start=1)]}


def _contact(care: str) -> dict:
    _name, email, phone = (care.split(",") + ["", "", ""])[:3]
    return {"phone": phone.strip(), "email": email.strip()}


def _bpp_descriptor(base: str) -> dict:
    icon = f"{base}/static/icons/favicon.svg"
    return {"name": "Haat", "symbol": icon, "short_desc": "Haat", "images": [icon],
            "long_desc": "Haat: products of self-help-group entrepreneurs",
            "tags": [{"code": "bpp_terms", "list": [{"code": "np_type", "value": "MSN"}]}]}


def _catalogue(products: list[Product]) -> dict:
    base, care = public_url(), _setting("ONDC_CONSUMER_CARE", DEFAULT_CONSUMER_CARE)
    providers: list[dict] = []
    by_shop: dict[int, list[Product]] = {}
    for product in products:
        by_shop.setdefault(product.business_id, []).append(product)
    for shop in by_shop.values():
        provider = _provider(shop[0].business, shop, base, care)
        if provider is not None:
            providers.append(provider)
    return {"catalog": {"bpp/descriptor": _bpp_descriptor(base), "bpp/providers": providers}}


def on_search_pages(session: Session, context: dict, message: dict) -> Iterator[dict]:
    """The answer to a search, PROVIDERS_PER_PAGE shops per body (only shops with something to sell)."""
    domain, std, category, name = _wanted(context, message)
    slugs = _slugs(domain, category)
    if not slugs:
        yield _catalogue([])
        return
    after = 0
    sent = False
    while True:
        shops = list(session.scalars(
            _query(std, slugs, name).with_only_columns(Product.business_id).distinct()
            .where(Product.business_id > after).order_by(None).order_by(Product.business_id)
            .limit(PROVIDERS_PER_PAGE)))
        if not shops:
            break
        products = list(session.scalars(_query(std, slugs, name).where(Product.business_id.in_(shops))))
        page = _catalogue(products)
        after = shops[-1]
        if page["catalog"]["bpp/providers"]:
            sent = True
            yield page
    if not sent:
        yield _catalogue([])


def on_search(session: Session, context: dict, message: dict) -> dict:
    """The on_search body for a search: its first page (a full catalogue's further pages: on_search_pages)."""
    return next(on_search_pages(session, context, message))


def changed_items(session: Session, since: datetime, domain: str | None = None) -> dict:
    """The on_search body of an incremental refresh: the items (of a domain, or all) whose product details,
    photos, price or stock changed after `since`, as they are now. Only providers' ids and items, as the
    contract's incremental example; an item no longer for sale (sold out, archived, hidden, paused) comes with
    time.label "disable" and available "0", so the buyer apps drop it from their caches."""
    changed = (sa.select(Product.id).where(Product.updated_at > since)
               .union(sa.select(Variant.product_id).where(Variant.updated_at > since),
                      sa.select(Photo.product_id).where(Photo.created_at > since)))
    products = list(session.scalars(
        sa.select(Product).join(Category, Category.id == Product.category_id)
        .where(Product.id.in_(changed), Category.slug.in_(_slugs(domain, None))).options(*_LOADS)
        .order_by(Product.business_id, Product.id)))
    base, care = public_url(), _setting("ONDC_CONSUMER_CARE", DEFAULT_CONSUMER_CARE)
    providers: dict[int, dict] = {}
    for product in products:
        mapping = taxonomy.mapping_for(product.category.slug)
        whole = product.updated_at > since or any(p.created_at and p.created_at > since for p in product.photos)
        shown = _sellable(product)
        for variant in product.variants:
            if not (whole or (variant.updated_at and variant.updated_at > since)):
                continue
            provider = providers.setdefault(product.business_id, {"id": provider_id(product.business), "items": []})
            if shown and mapping is not None and (product.made_to_order or variant.stock > 0):
                provider["items"].append(_item(product, variant, mapping, base, care))
            else:
                provider["items"].append(_disabled(product, variant, mapping, base, care))
    return {"catalog": {"bpp/providers": list(providers.values())}}


def _sellable(product: Product) -> bool:
    return (product.listed and product.in_stock and product.hidden_reason is None
            and product.business.hidden_reason is None and not product.business.is_paused
            and exclusion_reason(product, taxonomy.mapping_for(product.category.slug)) is None)


def _disabled(product: Product, variant: Variant, mapping: Mapping | None, base: str, care: str) -> dict:
    """An item that left the catalogue: as it was (when it can still be described) marked disabled."""
    if mapping is not None and product.photos:
        item = _item(product, variant, mapping, base, care)
    else:
        item = {"id": item_id(variant), "parent_item_id": f"p{product.id}",
                "quantity": {"unitized": {"measure": {"unit": "unit", "value": "1"}}, "maximum": {"count": "0"}}}
    item["time"] = {"label": "disable", "timestamp": iso(_changed_at(product, variant))}
    item["quantity"]["available"] = {"count": "0"}
    return item
