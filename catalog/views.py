"""Catalogue pages: browsing, search, product and shop pages for buyers; listing for sellers."""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, lazyload, raiseload, selectinload

from catalog import browse, images, moderation
from catalog.category_names import category_name
from catalog.forms import HideForm, ProductForm, ReportForm, ShopForm
from catalog.models import ListingReport, Product, Status
from catalog.permissions import can_edit_product, owns_business
from catalog.search import SearchQuery, get_backend, sync
from catalog.services import (
    MAX_PHOTOS,
    TOO_MANY_PHOTOS,
    CatalogError,
    Kind,
    StagedPhotos,
    add_photo,
    category_ids,
    change_stock,
    create_product,
    leaf_categories,
    remove_photo,
    root_categories,
    set_shop_paused,
    set_status,
    taxonomy,
    update_product,
)
from market.core import db
from market.core.bodies import FORM, body_limit
from market.core.errors import Refusal
from market.core.extensions import limiter
from market.core.models import Role
from market.core.pagination import parse_cursor
from market.core.permissions import role_required
from market.core.security import PublicTextError
from vendors.models import Business, Organisation, SelfHelpGroup
from vendors.permissions import can_view_organisation, visible_organisation_ids
from vendors.services import ShopNameError, member_for_user, update_storefront

catalog = Blueprint("catalog", __name__)
products = Blueprint("products", __name__, url_prefix="/seller/products")
moderation_pages = Blueprint("moderation", __name__)


PHOTO_UPLOAD = MAX_PHOTOS * images.MAX_UPLOAD_BYTES + FORM  # the product form with its six photos
STATES_KEPT_FOR = 300  # seconds: a state whose first organisation joins shows in the filter within 5 minutes


@catalog.app_context_processor
def catalogue_choices():
    """Sorts, price bands and the states that have sellers, for the filter form on every list."""
    return {"sorts": browse.SORTS, "price_bands": browse.PRICE_BANDS, "selling_states": SellingStates()}


class SellingStates:
    """The states that have organisations, read when the filter form asks and then kept a while per process
    (the form is on every list; organisations join a few times a year)."""

    def __iter__(self):
        expires, states = current_app.extensions.get("haat.selling_states", (0.0, []))
        if time.monotonic() >= expires:
            states = sorted(db.session.scalars(sa.select(Organisation.state_code).distinct()))
            current_app.extensions["haat.selling_states"] = (time.monotonic() + STATES_KEPT_FOR, states)
        return iter(states)


@catalog.app_template_global()
def kind(category_id: int) -> Kind:
    """A product's category for a template, with no query (catalog.services.taxonomy)."""
    return taxonomy(db.session).by_id[category_id]


def media_dir() -> Path:
    """Where processed photos live."""
    return Path(current_app.config["MEDIA_DIR"] or Path(current_app.instance_path) / "media")


def update_search_index() -> None:
    """Apply queued index changes now if no other process is writing; else the writer or worker will."""
    try:
        sync(db.session)
    except Exception:  # the change is committed and queued: search catches up later, the seller is not blocked
        current_app.logger.exception("search index update failed; the queue keeps the change")


def after_withdrawal(photo_keys: list[str]) -> None:
    """After the commit that withdrew products (a shop closed for good): their photo files go, every size and
    format, and search forgets them."""
    for key in photo_keys:
        images.delete_photo(media_dir(), key)
    update_search_index()


# -- buyers ---------------------------------------------------------------------------------------------------

@catalog.get("/shop")
@catalog.get("/c/<slug>")
def browse_products(slug: str | None = None):
    filters = browse.Filters.from_args(request.args, category=slug)
    ids = category_ids(db.session, filters.category) if filters.category else None
    if filters.category and not ids:
        abort(404)
    page = browse.listed_products(db.session, filters, ids, request.args.get("after"))
    current = taxonomy(db.session).by_slug[filters.category] if ids and filters.category else None
    return render_template("catalog/browse.html", page=page, filters=filters, current=current,
                           roots=root_categories(db.session))


@catalog.get("/search")
def search():
    filters = browse.Filters.from_args(request.args)
    text = (request.args.get("q") or "").strip()[:100]
    if not text:  # nothing typed: the keyset-paginated list is the faster way to show everything
        return redirect(url_for("catalog.browse_products", **filters.args()))
    page_number = min(max(request.args.get("page", 1, type=int) or 1, 1), 50)
    ids = category_ids(db.session, filters.category) if filters.category else []
    low, high = filters.price_range
    result = get_backend().search(SearchQuery(
        text=text, category_ids=tuple(ids), state=filters.state, price_min=low, price_max=high,
        wholesale=filters.wholesale or None, in_stock=filters.in_stock or None,
        sort="relevance" if filters.sort == "newest" else filters.sort, page=page_number))
    items = browse.products_by_ids(db.session, result.ids)
    return render_template("catalog/search.html", q=text, items=items, result=result, filters=filters,
                           page_number=page_number, roots=root_categories(db.session))


# What the product page shows, loaded with the product (its shop joined, photos, variants and wholesale tiers a
# query each); anything else the template reached for would raise rather than query behind its back. Its category
# comes from catalog.services.taxonomy. Only an entrepreneur's visit reads the shop's owners (can_edit_product: is it
# hers?), with a query of its own.
PRODUCT_PAGE = (joinedload(Product.business, innerjoin=True).lazyload(Business.owners), selectinload(Product.photos),
                selectinload(Product.variants), selectinload(Product.tiers), raiseload("*"))


@catalog.get("/p/<int:product_id>")
def product(product_id: int):
    item = db.session.scalar(sa.select(Product).where(Product.id == product_id).options(*PRODUCT_PAGE))
    if item is None or not (item.listed or can_edit_product(current_user, item)):
        abort(404)
    return render_template("catalog/product.html", product=item, can_edit=can_edit_product(current_user, item))


# The shop with its group (the page names it when the shop chooses to); its owners only for an entrepreneur's
# visit or a hidden shop (owns_business), with a query of their own; nothing else behind the template's back.
SHOP_PAGE = (joinedload(Business.group, innerjoin=True), lazyload(Business.owners), raiseload("*"))


@catalog.get("/s/<slug>")
def shop(slug: str):
    business = db.session.scalar(sa.select(Business).where(Business.slug == slug).options(*SHOP_PAGE)) or abort(404)
    if business.hidden_reason is not None and not owns_business(current_user, business):
        abort(404)  # hidden by staff: out of every list, its page too
    filters = browse.Filters.from_args(request.args)
    ids = category_ids(db.session, filters.category) if filters.category else None
    page = browse.listed_products(db.session, filters, ids, request.args.get("after"), business_id=business.id)
    return render_template("catalog/shop.html", shop=business, page=page, filters=filters,
                           categories=browse.shop_categories(db.session, business.id))


@catalog.get("/shops")
def shops():
    items, next_after = browse.open_shops(db.session, parse_cursor(request.args.get("after")))
    return render_template("catalog/shops.html", shops=items, next_after=next_after)


@catalog.get("/media/<key>-<int:width>.<ext>")
def media(key: str, width: int, ext: str):
    if ext not in ("webp", "jpg") or not images.valid_key(key):
        abort(404)
    response = send_from_directory(media_dir(), f"{key}-{width}.{ext}", max_age=365 * 24 * 3600,
                                   mimetype="image/webp" if ext == "webp" else "image/jpeg")
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = "inline"
    return response


@catalog.app_template_global()
def media_url(key: str, width: int, ext: str) -> str:
    """What url_for("catalog.media", ...) makes, written without the router (a page of cards needs ~200): keys
    are URL-safe (images.valid_key) and widths ints, so nothing needs quoting. A test holds it to url_for's."""
    return f"{request.script_root}/media/{key}-{width}.{ext}"


@catalog.app_template_global()
def srcset(key: str, widths: list[int], ext: str) -> str:
    """A photo's renditions for srcset: "url 160w, url 320w, ..."."""
    return ", ".join(f"{media_url(key, w, ext)} {w}w" for w in widths)


class Renditions(NamedTuple):
    """What a <picture> of a photo links to: its WebP and JPEG srcsets and the JPEG of its <img src>."""

    webp: str
    jpg: str
    src: str


@catalog.app_template_global()
def renditions(photo, smallest_only: bool = False) -> Renditions:
    """A photo's links (a catalog.models.Photo or a card's CardPhoto), the smallest rendition only when the
    browser saves data: what srcset() and media_url() make, made once per photo rather than a router call per
    link (a page of 24 cards has ~200), and kept for the photos pages show again and again."""
    widths = photo.width_list[:1] if smallest_only else photo.width_list
    return _renditions(request.script_root, photo.key, tuple(widths))


@lru_cache(maxsize=4096)
def _renditions(root: str, key: str, widths: tuple[int, ...]) -> Renditions:
    def links(ext: str) -> str:
        return ", ".join(f"{root}/media/{key}-{w}.{ext} {w}w" for w in widths)

    src = widths[1] if len(widths) > 1 else widths[0]  # 320 px: the <img> of a browser without srcset
    return Renditions(links("webp"), links("jpg"), f"{root}/media/{key}-{src}.jpg")


@catalog.app_template_global()
def product_url(product_id: int | str) -> str:
    """What url_for("catalog.product", product_id=...) makes, written without the router (a card each); a test
    holds it to url_for's. product_url("") is the part before the id, for a page of cards to add each id to."""
    return f"{request.script_root}/p/{product_id}"


# -- sellers --------------------------------------------------------------------------------------------------

def _my_shops() -> list[Business]:
    member = member_for_user(db.session, current_user)
    return list(member.businesses) if member else []


def _owned_business(business_id: int) -> Business:
    business = db.session.get(Business, business_id) or abort(404)
    if not owns_business(current_user, business):
        abort(403)
    return business


def _editable(product_id: int) -> Product:
    item = db.session.get(Product, product_id) or abort(404)
    if not can_edit_product(current_user, item):
        abort(403)
    return item


@products.get("/")
@role_required(Role.ENTREPRENEUR)
def mine():
    status = request.args.get("status", Status.ACTIVE)
    status = status if status in set(Status) else Status.ACTIVE
    shop_ids = [b.id for b in _my_shops()]
    items = db.session.scalars(sa.select(Product).where(Product.business_id.in_(shop_ids or [-1]),
                                                        Product.status == status)
                               .order_by(Product.id.desc()).limit(200)).all()
    hidden_shops = [b for b in _my_shops() if b.hidden_reason]
    return render_template("catalog/mine.html", items=items, status=status, hidden_shops=hidden_shops)


def _save(form: ProductForm, item: Product | None):
    """Shared by new and edit: photos first (outside the transaction), then one commit. A new product sent again
    with the same client key (a draft from her phone whose answer was lost) is the one saved before."""
    shop = next((b for b in _my_shops() if b.id == form.business.data), None) or abort(403)
    uploads = [f for f in form.photos.data or [] if f and f.filename]
    if len(uploads) + (len(item.photos) if item else 0) > MAX_PHOTOS:  # counted before any is decoded
        form.form_errors.append(str(TOO_MANY_PHOTOS))
        return None
    with StagedPhotos(media_dir()) as staged:
        try:
            stored = [staged.add(f.stream, turn) for f, turn in zip(uploads, form.turns(len(uploads)), strict=True)]
            publish = "publish" in request.form
            if item is None:
                item = create_product(db.session, shop, form.to_data(), publish=publish)
                item.client_key = form.client_key.data or None
            else:
                update_product(db.session, item, form.to_data())
                if publish and item.status == Status.DRAFT:
                    set_status(db.session, item, Status.ACTIVE)
            for photo in stored:
                add_photo(db.session, item, photo)
        except (CatalogError, images.PhotoError) as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
            return None
        except PublicTextError as exc:
            db.session.rollback()
            show_on_field(form, exc)
            return None
        try:
            db.session.commit()
        except sa.exc.IntegrityError:  # the same draft, sent twice at once: the other request saved it
            db.session.rollback()
            return _sent_before(form.client_key.data) or abort(409)
        staged.keep()
    update_search_index()
    return item


def show_on_field(form, exc: PublicTextError) -> None:
    """The refusal under the field it is about (a size or colour: the row holding that text); what she typed stays."""
    if exc.field.startswith("variants-"):
        target = next((f for row in form.variants for f in (row.size, row.colour)
                       if (f.data or "").strip() == exc.text.strip()), None)
    else:
        target = getattr(form, exc.field, None)
    (target.errors if target is not None else form.form_errors).append(str(exc))


def _sent_before(client_key: str | None) -> Product | None:
    """Her product already saved under this client key, if any."""
    if not client_key:
        return None
    return db.session.scalar(sa.select(Product).where(
        Product.client_key == client_key, Product.business_id.in_([b.id for b in _my_shops()])))


@products.route("/new", methods=["GET", "POST"])
@role_required(Role.ENTREPRENEUR)
@body_limit(PHOTO_UPLOAD)
def new():
    form = ProductForm()
    form.set_choices(_my_shops(), leaf_categories(db.session))
    if not form.business.choices:
        flash(_("You need a shop before you can list products. Your field worker can open one with you."), "error")
        return redirect(url_for("seller.home"))
    if form.validate_on_submit() and (item := _sent_before(form.client_key.data) or _save(form, None)):
        flash(_("Saved. Buyers can see it now.") if item.listed else _("Saved as a draft."), "success")
        return redirect(url_for("products.edit", product_id=item.id))
    return render_template("catalog/edit.html", form=form, product=None)


@products.route("/<int:product_id>/edit", methods=["GET", "POST"])
@role_required(Role.ENTREPRENEUR)
@body_limit(PHOTO_UPLOAD)
def edit(product_id: int):
    item = _editable(product_id)
    form = ProductForm()
    form.set_choices([item.business], leaf_categories(db.session, keep=item.category_id))
    if request.method == "GET":
        form.load(item)
    elif form.validate_on_submit() and _save(form, item):
        flash(_("Saved."), "success")
        return redirect(url_for("products.edit", product_id=item.id))
    return render_template("catalog/edit.html", form=form, product=item)


@products.post("/<int:product_id>/status")
@role_required(Role.ENTREPRENEUR)
def change_status(product_id: int):
    item = _editable(product_id)
    target = {"publish": Status.ACTIVE, "archive": Status.ARCHIVED, "restore": Status.DRAFT,
              "unpublish": Status.DRAFT}.get(request.form.get("action", "")) or abort(400)
    try:
        set_status(db.session, item, target)
    except CatalogError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        update_search_index()
        flash({Status.ACTIVE: _("Buyers can see it now."), Status.ARCHIVED: _("Archived. Buyers no longer see it."),
               Status.DRAFT: _("Moved to drafts.")}[target], "success")
    return redirect(url_for("products.edit", product_id=item.id))


@products.post("/<int:product_id>/variants/<int:variant_id>/stock")
@role_required(Role.ENTREPRENEUR)
def stock(product_id: int, variant_id: int):
    """One piece more or less, from her products list: she stays on it (a script may send it without leaving)."""
    item = _editable(product_id)
    by = {"more": 1, "less": -1}.get(request.form.get("change", "")) or abort(400)
    try:
        left = change_stock(db.session, item, variant_id, by)
    except CatalogError as exc:
        db.session.rollback()
        if request.accept_mimetypes.best == "application/json":
            return {"error": str(exc)}, 409
        flash(str(exc), "error")
    else:
        db.session.commit()
        update_search_index()
        if request.accept_mimetypes.best == "application/json":
            return {"stock": left}
    return redirect(url_for("products.mine", status=item.status) + f"#p{item.id}")


@products.post("/<int:product_id>/photos/<int:photo_id>/delete")
@role_required(Role.ENTREPRENEUR)
def delete_photo(product_id: int, photo_id: int):
    item = _editable(product_id)
    try:
        key = remove_photo(db.session, item, photo_id)
    except CatalogError:
        abort(404)
    db.session.commit()
    images.delete_photo(media_dir(), key)
    flash(_("Photo removed."), "success")
    return redirect(url_for("products.edit", product_id=item.id))


@products.route("/shops/<int:business_id>", methods=["GET", "POST"])
@role_required(Role.ENTREPRENEUR)
def shop_settings(business_id: int):
    business = _owned_business(business_id)
    form = ShopForm(obj=business)
    if form.validate_on_submit():
        try:
            update_storefront(db.session, business, public_name=form.public_name.data, story=form.story.data,
                              show_group=form.show_group.data)
        except ShopNameError as exc:
            db.session.rollback()
            show_on_field(form, exc)
        else:
            db.session.commit()
            flash(_("Shop saved."), "success")
            return redirect(url_for("products.shop_settings", business_id=business.id))
    return render_template("catalog/shop_settings.html", form=form, shop=business)


@products.post("/shops/<int:business_id>/pause")
@role_required(Role.ENTREPRENEUR)
def pause_shop(business_id: int):
    business = _owned_business(business_id)
    paused = request.form.get("paused") == "1"
    set_shop_paused(db.session, business, paused)
    db.session.commit()
    update_search_index()
    flash(_("Your shop is paused. Buyers cannot order until you open it again.") if paused
          else _("Your shop is open again."), "success")
    return redirect(url_for("products.shop_settings", business_id=business.id))


# -- moderation: buyers report a listing; staff (their organisations) and admins hide or show it -----------------

def _reporter_key() -> str:
    return f"report:{current_user.get_id().split(':')[0]}"


@moderation_pages.route("/p/<int:product_id>/report", methods=["GET", "POST"])
@role_required(Role.BUYER, Role.WHOLESALER)
@limiter.limit(lambda: current_app.config.get("REPORT_LIMIT", "10 per hour"), methods=["POST"],
               key_func=_reporter_key, scope="report")
def report(product_id: int):
    item = db.session.get(Product, product_id)
    if item is None or not item.listed:
        abort(404)
    form = ReportForm()
    form.reason.choices = [(code, str(words)) for code, words in moderation.REASONS().items()]
    if form.validate_on_submit():
        try:
            moderation.report_listing(db.session, current_user, item, form.reason.data, form.words.data or "")
        except Refusal as exc:
            db.session.rollback()
            form.reason.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Thank you. Haat's team will look at it."), "success")
            return redirect(url_for("catalog.product", product_id=item.id))
    return render_template("catalog/report.html", form=form, product=item)


def _in_scope(business: Business) -> None:
    if not can_view_organisation(db.session, current_user, business.group.organisation_id):
        abort(403)


@moderation_pages.get("/staff/reports")
@role_required(Role.STAFF, Role.ADMIN)
def queue():
    visible = visible_organisation_ids(db.session, current_user)
    reports, more = moderation.open_reports(db.session, visible, parse_cursor(request.args.get("after")))
    hidden = sa.select(Product).join(Business).join(SelfHelpGroup).where(
        sa.or_(Product.hidden_reason.is_not(None), Business.hidden_reason.is_not(None)))
    if visible is not None:
        hidden = hidden.where(SelfHelpGroup.organisation_id.in_(visible or [-1]))
    form = HideForm()
    form.reason.choices = _hide_choices()
    return render_template("catalog/moderation.html", reports=reports, more=more, form=form,
                           hidden=list(db.session.scalars(hidden.order_by(Product.id.desc()).limit(100))),
                           next_after=reports[-1].id if more and reports else None)


def _hide_choices() -> list[tuple[str, str]]:
    return [("", _("Choose…"))] + [(code, str(words)) for code, words in moderation.REASONS().items()]


def _moderated(change, done: str):
    form = HideForm()
    form.reason.choices = _hide_choices()
    try:
        change(form)
    except Refusal as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        update_search_index()  # out of (or back in) search at once
        flash(done, "success")
    return redirect(url_for("moderation.queue"))


def _reason(form: HideForm) -> str:
    if not form.validate_on_submit():
        raise CatalogError(_("Choose a reason from the list."))
    return form.reason.data


def _moderated_product(product_id: int) -> Product:
    item = db.session.get(Product, product_id) or abort(404)
    _in_scope(item.business)
    return item


@moderation_pages.post("/staff/products/<int:product_id>/hide")
@role_required(Role.STAFF, Role.ADMIN)
def hide_product(product_id: int):
    item = _moderated_product(product_id)
    return _moderated(lambda form: moderation.hide_product(db.session, current_user, item, _reason(form)),
                      _("Hidden. The seller is told why, in their language."))


@moderation_pages.post("/staff/products/<int:product_id>/show")
@role_required(Role.STAFF, Role.ADMIN)
def show_product(product_id: int):
    item = _moderated_product(product_id)
    return _moderated(lambda form: moderation.show_product(db.session, current_user, item),
                      _("Shown again, if it is published and its shop is open."))


def _moderated_shop(business_id: int) -> Business:
    business = db.session.get(Business, business_id) or abort(404)
    _in_scope(business)
    return business


@moderation_pages.post("/staff/shops/<int:business_id>/hide")
@role_required(Role.STAFF, Role.ADMIN)
def hide_shop(business_id: int):
    business = _moderated_shop(business_id)
    return _moderated(lambda form: moderation.hide_shop(db.session, current_user, business, _reason(form)),
                      _("The whole shop is hidden. The seller is told why, in their language."))


@moderation_pages.post("/staff/shops/<int:business_id>/show")
@role_required(Role.STAFF, Role.ADMIN)
def show_shop(business_id: int):
    business = _moderated_shop(business_id)
    return _moderated(lambda form: moderation.show_shop(db.session, current_user, business),
                      _("The shop is shown again."))


@moderation_pages.post("/staff/reports/<int:report_id>/dismiss")
@role_required(Role.STAFF, Role.ADMIN)
def dismiss(report_id: int):
    found = db.session.get(ListingReport, report_id) or abort(404)
    _in_scope(found.product.business)
    return _moderated(lambda form: moderation.dismiss_report(db.session, current_user, found),
                      _("Closed: nothing to change."))


@catalog.app_template_global()
def reason_text(code: str | None) -> str:
    """A hiding or report reason in the reader's language."""
    return moderation.reason_text(code)


# `{{ kind.name|category_name }}`: a category's stored English name in the page's language.
catalog.add_app_template_filter(category_name, "category_name")
