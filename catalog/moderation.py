"""Moderation: buyers report listings, staff and admins hide or show a product or a whole shop with a reason
the seller reads in her language, and admins look after the categories (add, rename with a name per language,
merge, retire).

A hidden product or shop is out of every list, search, cart and checkout (its products are not `listed`). The
reasons are a short list, so that each seller reads hers in her own language. Every change is audited.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from catalog.models import Category, CategoryName, ListingReport, Product, Status
from catalog.services import CatalogError, queue_reindex, refresh_summary
from market.core.accounts import audit
from market.core.config import LOCALES
from market.core.db import utcnow
from market.core.models import User
from market.core.notifications import notify
from market.core.security import hide_contacts
from vendors.models import Business, SelfHelpGroup


def REASONS() -> dict[str, str]:  # noqa: N802 - a table, made when asked so that it is in the reader's language
    """Why a listing is reported or hidden, in the reader's words."""
    return {
        "contact": _l("It shows a phone number, e-mail or other contact"),
        "not_allowed": _l("It is something that may not be sold on Haat"),
        "wrong": _l("The photos or words do not match the product"),
        "hurtful": _l("It has rude or hurtful words or pictures"),
        "other": _l("Something else"),
    }


def reason_text(code: str | None) -> str:
    """A reason's words in the current language."""
    return str(REASONS().get(code or "", REASONS()["other"]))


def _reason(code: str) -> str:
    if code not in REASONS():
        raise CatalogError(_l("Choose a reason from the list."))
    return code


# -- reports by buyers ---------------------------------------------------------------------------------------

def report_listing(session: Session, reporter: User, product: Product, reason: str, words: str) -> ListingReport:
    """A buyer's report of a listing; her words are kept without any phone number or e-mail in them. One open
    report per buyer and listing: a second one adds her new words to it."""
    reason = _reason(reason)
    words = hide_contacts(" ".join((words or "").split()))[:500]
    if not product.listed:
        raise CatalogError(_l("This product is not on sale now."))
    report = session.scalar(sa.select(ListingReport).where(ListingReport.product_id == product.id,
                                                           ListingReport.reporter_id == reporter.id,
                                                           ListingReport.closed_at.is_(None)))
    if report is None:
        report = ListingReport(product_id=product.id, reporter_id=reporter.id, reason=reason, words=words)
        session.add(report)
    else:
        report.reason, report.words = reason, words or report.words
    session.flush()
    return report


def open_reports(session: Session, organisation_ids: set[int] | None, after: int | None, per_page: int = 30):
    """Open reports, oldest first, of the organisations given (None: all), from after the id `after`; and
    whether there are more."""
    stmt = (sa.select(ListingReport).join(Product, Product.id == ListingReport.product_id)
            .join(Business, Business.id == Product.business_id)
            .join(SelfHelpGroup, SelfHelpGroup.id == Business.group_id)
            .where(ListingReport.closed_at.is_(None)).order_by(ListingReport.id).limit(per_page + 1))
    if organisation_ids is not None:
        stmt = stmt.where(SelfHelpGroup.organisation_id.in_(organisation_ids or [-1]))
    if after:
        stmt = stmt.where(ListingReport.id > after)
    rows = list(session.scalars(stmt))
    return rows[:per_page], len(rows) > per_page


def _close_reports(session: Session, actor: User, product_ids: list[int]) -> None:
    session.execute(sa.update(ListingReport).where(ListingReport.product_id.in_(product_ids or [-1]),
                                                   ListingReport.closed_at.is_(None))
                    .values(closed_at=utcnow(), closed_by_id=actor.id))


def dismiss_report(session: Session, actor: User, report: ListingReport) -> None:
    """Staff looked and found nothing wrong: the report leaves the queue (the listing stays)."""
    report.closed_at, report.closed_by_id = utcnow(), actor.id
    session.flush()
    audit(session, actor, "dismiss_report", "product", report.product_id, report.reason)


# -- hiding and showing --------------------------------------------------------------------------------------

def hide_product(session: Session, actor: User, product: Product, reason: str) -> None:
    """Take one product out of every list, search and cart, and tell her why (in her language)."""
    product.hidden_reason = _reason(reason)
    refresh_summary(product)
    queue_reindex(session, product)
    _close_reports(session, actor, [product.id])
    session.flush()
    title = product.title
    notify(session, product.business.owner_users, _l("One of your products is hidden from buyers"),
           lambda: _l("“%(title)s” is hidden from buyers. The reason: %(reason)s. Change it, then ask your field "
                      "worker to show it again.", title=title, reason=reason_text(reason)),
           link="/seller/products/")
    audit(session, actor, "hide_product", "product", product.id, reason)


def show_product(session: Session, actor: User, product: Product) -> None:
    """Put a hidden product back (it shows if it is published and its shop is open)."""
    if product.hidden_reason is None:
        raise CatalogError(_l("This product is not hidden."))
    product.hidden_reason = None
    refresh_summary(product)
    queue_reindex(session, product)
    session.flush()
    title = product.title
    notify(session, product.business.owner_users, _l("Your product is shown to buyers again"),
           lambda: _l("“%(title)s” can be seen by buyers again.", title=title), link="/seller/products/")
    audit(session, actor, "show_product", "product", product.id)


def _refresh_shop(session: Session, business: Business) -> list[int]:
    ids = []
    for product in session.scalars(sa.select(Product).where(Product.business_id == business.id,
                                                            Product.status == Status.ACTIVE)):
        refresh_summary(product)
        queue_reindex(session, product)
        ids.append(product.id)
    return ids


def hide_shop(session: Session, actor: User, business: Business, reason: str) -> None:
    """Take a whole shop out of the buyers' lists (its page, its products, carts and checkout)."""
    business.hidden_reason = _reason(reason)
    _close_reports(session, actor, _refresh_shop(session, business))
    session.flush()
    notify(session, business.owner_users, _l("Your shop is hidden from buyers"),
           lambda: _l("Your shop is hidden from buyers. The reason: %(reason)s. Talk to your field worker to show "
                      "it again.", reason=reason_text(reason)), link="/seller/products/")
    audit(session, actor, "hide_shop", "business", business.id, reason)


def show_shop(session: Session, actor: User, business: Business) -> None:
    """Put a hidden shop back."""
    if business.hidden_reason is None:
        raise CatalogError(_l("This shop is not hidden."))
    business.hidden_reason = None
    _refresh_shop(session, business)
    session.flush()
    notify(session, business.owner_users, _l("Your shop is shown to buyers again"),
           _l("Buyers can see your shop again."), link="/seller/products/")
    audit(session, actor, "show_shop", "business", business.id)


# -- categories ------------------------------------------------------------------------------------------------

def _slug(session: Session, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:34] or "category"
    slug, n = base, 2
    while session.scalar(sa.select(Category.id).where(Category.slug == slug)) is not None:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _names(session: Session, category: Category, english: str, names: dict[str, str]) -> None:
    english = " ".join((english or "").split())
    if not english or len(english) > 60:
        raise CatalogError(_l("Write the name in English (at most 60 letters)."))
    if not english.isascii():
        raise CatalogError(_l("Write the English name in English letters; the other languages below."))
    clash = session.scalar(sa.select(Category.id).where(sa.func.lower(Category.name) == english.lower(),
                                                        Category.id != (category.id or -1)))
    if clash is not None:
        raise CatalogError(_l("A category with this name exists already."))
    category.name = english
    session.flush()
    session.execute(sa.delete(CategoryName).where(CategoryName.category_id == category.id))
    for locale, name in sorted(names.items()):
        name = " ".join((name or "").split())[:60]
        if locale in LOCALES and locale != "en_IN" and name:
            session.add(CategoryName(category_id=category.id, locale=locale, name=name))
    session.flush()


def add_category(session: Session, actor: User, parent: Category, english: str,
                 names: dict[str, str]) -> Category:
    """A new category under one of the four trades, with its name in each language written."""
    if parent.parent_id is not None:
        raise CatalogError(_l("Choose one of the four trades."))
    position = (session.scalar(sa.select(sa.func.coalesce(sa.func.max(Category.position), 0))
                               .where(Category.parent_id == parent.id)) or 0) + 1
    category = Category(parent_id=parent.id, trade=parent.trade, position=position,
                        slug=_slug(session, english or ""), name="")
    session.add(category)
    _names(session, category, english, names)
    audit(session, actor, "add_category", "category", category.id, category.name)
    return category


def rename_category(session: Session, actor: User, category: Category, english: str,
                    names: dict[str, str]) -> None:
    """A new name in English and in each language (an empty one: the app's own translation, if any)."""
    before = category.name
    _names(session, category, english, names)
    audit(session, actor, "rename_category", "category", category.id, f"{before} -> {category.name}")


def written_names(session: Session, category: Category) -> dict[str, str]:
    """The names an admin wrote for the category, by language."""
    return dict(session.execute(sa.select(CategoryName.locale, CategoryName.name)
                                .where(CategoryName.category_id == category.id)).all())


def merge_categories(session: Session, actor: User, source: Category, target: Category) -> int:
    """Move every product of `source` into `target`; `source` is retired. Returns how many moved."""
    if source.id == target.id:
        raise CatalogError(_l("Choose another category to merge into."))
    if source.parent_id is None or target.parent_id is None:
        raise CatalogError(_l("The four trades cannot be merged; choose a category inside one."))
    if target.retired:
        raise CatalogError(_l("That category is retired: choose one in use."))
    ids = list(session.scalars(sa.select(Product.id).where(Product.category_id == source.id)))
    if ids:
        session.execute(sa.update(Product).where(Product.id.in_(ids)).values(category_id=target.id)
                        .execution_options(synchronize_session="fetch"))
        for product in session.scalars(sa.select(Product).where(Product.id.in_(ids))):
            queue_reindex(session, product)
    source.retired, source.merged_into_id = True, target.id
    session.flush()
    audit(session, actor, "merge_category", "category", source.id, f"into {target.id}: {len(ids)} products")
    return len(ids)


def retire_category(session: Session, actor: User, category: Category) -> None:
    """No new products in it; those in it stay."""
    if category.parent_id is None:
        raise CatalogError(_l("The four trades cannot be retired."))
    if category.retired:
        raise CatalogError(_l("This category is retired already."))
    category.retired = True
    session.flush()
    audit(session, actor, "retire_category", "category", category.id)


def category_counts(session: Session) -> dict[int, int]:
    """Products (of any status) per category."""
    return dict(session.execute(sa.select(Product.category_id, sa.func.count()).group_by(Product.category_id)).all())
