"""Category names in the page's language.

The database keeps each category's English name, as the catalogue migration wrote it (the bulk import and
the search index match on it). Pages show it through `category_name`, which looks it up in the catalogue.
A name read from the database cannot be extracted by `make messages`, so every name the migration writes is
listed here: a test fails if the migration gains a category that this list lacks.
"""

from __future__ import annotations

from flask import current_app, has_app_context

from market.core.i18n import N_, language

CATEGORY_NAMES = (
    # the four trades
    N_("Garments"),
    N_("Food"),
    N_("Imitation jewellery"),
    N_("Home and handicrafts"),
    # garments
    N_("Kurtis and tops"),
    N_("Sarees"),
    N_("Blouses"),
    N_("Children's wear"),
    N_("Nightwear"),
    N_("Dupattas and stoles"),
    # food
    N_("Snacks and namkeen"),
    N_("Pickles and chutneys"),
    N_("Papad and vadagam"),
    N_("Spices and masalas"),
    N_("Sweets"),
    N_("Tiffin and meals"),
    # imitation jewellery
    N_("Earrings"),
    N_("Necklaces and chains"),
    N_("Bangles"),
    N_("Anklets and toe rings"),
    N_("Hair accessories"),
    # home and handicrafts
    N_("Bags and pouches"),
    N_("Home decor"),
    N_("Baskets"),
    N_("Quilts and home textiles"),
    # the staff dashboards' bucket for sales in categories outside the top five
    N_("Other"),
)


def category_name(name: str) -> str:
    """A category's stored English name in the current language: the name an admin wrote for this language,
    else the catalogue's, else as stored."""
    if not name:
        return name  # gettext("") would return the catalogue's header
    tree = current_app.extensions.get("haat.taxonomy") if has_app_context() else None
    written = getattr(tree, "written", {}).get(name)
    here = language()
    if written:
        for key in (here.code, here.code.split("_")[0]):
            if written.get(key):
                return written[key]
    return here.translations.ugettext(name)
