"""Haat's categories on the ONDC network: each one's retail domain and category code, and what each domain asks.

Read from the retail API contract 1.2.0 (ONDC-Official/ONDC-RET-Specifications, on_search examples for Grocery,
F&B, Fashion and Home & Kitchen) and from the rules of ONDC's log validation utility, which names the category
ids it accepts per domain (RET10 "Snacks and Namkeen", RET12 "Kurtis, Tunics", RET16 "Home Decor" ...) and the
item attributes each asks. Our own table, keyed by the category slugs of the catalogue migration; a category an
admin adds later has no row until someone adds one here, and its products stay off the network (`REASON_*`).

What Haat records and what the network asks, per domain (docs/ondc.md has the same table for people):

- RET10 packaged food. Has: FSSAI licence per product, veg / non-veg / egg, shelf life, HSN. Lacks (sent without,
  the validator reports it): nutrition and additives declarations, a barcode (EAN).
- RET11 cooked food. Has: FSSAI licence, veg / non-veg. Lacks: a menu (custom groups).
- RET12 fashion. Has: size and colour name per variant, brand (the shop's public name), HSN. Lacks: colour as hex,
  fabric, base metal and plating, a size chart.
- RET16 home. Has: brand, HSN. Lacks: material, colour as hex.

A food product without an FSSAI number or a veg / non-veg mark is never sent: the law asks both of packaged food.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from market.core.i18n import N_

GROCERY = "ONDC:RET10"
FOOD_AND_BEVERAGE = "ONDC:RET11"
FASHION = "ONDC:RET12"
HOME = "ONDC:RET16"
DOMAINS = (GROCERY, FOOD_AND_BEVERAGE, FASHION, HOME)

# Statutory blocks of the retail contract, by the validator's grouping of RET10 categories.
PREPACKAGED_FOOD = "@ondc/org/statutory_reqs_prepackaged_food"
PACKAGED_COMMODITIES = "@ondc/org/statutory_reqs_packaged_commodities"


@dataclass(frozen=True)
class Mapping:
    """Where a Haat category sits on the network."""

    domain: str
    category_id: str  # the taxonomy's category name, sent as item.category_id
    # Attributes the category itself decides (sarees are worn by women), sent in the item's attribute tag.
    fixed: dict[str, str] = field(default_factory=dict)
    statutory: str | None = None  # RET10: which statutory block the category needs
    returnable: bool = True  # food is not taken back once delivered
    return_window: str = "P7D"  # ISO 8601 duration


def _food(category_id: str, statutory: str = PREPACKAGED_FOOD) -> Mapping:
    return Mapping(GROCERY, category_id, statutory=statutory, returnable=False, return_window="P0D")


_WOMEN = {"gender": "female"}

BY_SLUG: dict[str, Mapping] = {
    # garments -> fashion
    "kurtis-tops": Mapping(FASHION, "Kurtis, Tunics", _WOMEN),
    "sarees": Mapping(FASHION, "Sarees", _WOMEN),
    "blouses": Mapping(FASHION, "Blouses", _WOMEN),
    "childrens-wear": Mapping(FASHION, "Clothing Sets"),  # girls' or boys': Haat does not say
    "nightwear": Mapping(FASHION, "Nightwear & Loungewear", _WOMEN),
    "dupattas-stoles": Mapping(FASHION, "Dupattas & Shawls", _WOMEN),
    # imitation jewellery -> fashion (jewellery)
    "earrings": Mapping(FASHION, "Earrings", _WOMEN),
    "necklaces": Mapping(FASHION, "Necklaces", _WOMEN),
    "bangles": Mapping(FASHION, "Bangles & Bracelets", _WOMEN),
    "anklets": Mapping(FASHION, "Anklets", _WOMEN),
    "hair-accessories": Mapping(FASHION, "Jewellery Sets", _WOMEN),  # the fashion list has no hair ornaments
    # packaged food -> grocery
    "snacks": _food("Snacks and Namkeen"),
    "pickles": _food("Pickles and Chutney"),
    "papad": _food("Ready to Cook and Eat"),
    "spices": _food("Masala & Seasoning", PACKAGED_COMMODITIES),
    "sweets": _food("Indian Sweets"),
    # cooked food -> food and beverage
    "tiffin": Mapping(FOOD_AND_BEVERAGE, "F&B", returnable=False, return_window="P0D"),
    # home and handicrafts -> home and kitchen (bags are fashion on the network)
    "bags": Mapping(FASHION, "Handbags", {"gender": "female"}),
    "home-decor": Mapping(HOME, "Home Decor"),
    "baskets": Mapping(HOME, "Kitchen Storage and Containers"),
    "quilts-textiles": Mapping(HOME, "Home Furnishing - Bedding and Linen"),
}

# Attributes each domain's validator asks of an item, and where Haat finds them ("" = Haat has no such field).
ASKED: dict[str, dict[str, str]] = {
    GROCERY: {"brand": "the shop's public name", "veg_nonveg": "product.diet", "fssai": "product.fssai_number",
              "nutritional_info": "", "additives_info": "", "barcode (EAN)": ""},
    FOOD_AND_BEVERAGE: {"veg_nonveg": "product.diet", "fssai": "product.fssai_number", "menu": ""},
    FASHION: {"brand": "the shop's public name", "size": "variant.size", "colour_name": "variant.colour",
              "gender": "the category (women's wear)", "colour (hex)": "", "fabric": "", "size_chart": "",
              "base_metal / plating (jewellery)": ""},
    HOME: {"brand": "the shop's public name", "colour_name": "variant.colour", "material": "",
           "colour (hex)": ""},
}

# Why a product stays off the network, in words its seller reads: marked for translation, shown with gettext.
REASON_NO_MAPPING = N_("Its category is not on the ONDC network yet: staff can ask for it to be added.")
REASON_NO_FSSAI = N_("Food needs your FSSAI registration number before it can be sold on the ONDC network.")
REASON_NO_DIET = N_("Say whether it is veg, non-veg or has egg before it can be sold on the ONDC network.")
REASON_NO_PHOTO = N_("Add a photo before it can be sold on the ONDC network.")
REASON_NO_PICKUP = N_("Your collective's pickup point needs its pincode, map location and city code before your "
                      "shop can sell on the ONDC network. Ask your field worker.")


def mapping_for(slug: str) -> Mapping | None:
    """The network's place for a Haat category slug, or None if it has none yet."""
    return BY_SLUG.get(slug)
