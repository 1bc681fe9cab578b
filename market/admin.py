"""Admin pages: an overview, the hierarchy (programmes, states, organisations), staff accounts, categories,
buyers (on hold, wholesalers' approval) and the audit log."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

import market.audit_words as audit_words  # the module, not the market package: its factory imports this
import market.export_jobs as export_jobs
from catalog import moderation
from catalog.category_names import category_name
from catalog.models import Category
from catalog.services import forget_taxonomy
from catalog.views import update_search_index
from market.core import db
from market.core.accounts import (
    AccountError,
    audit,
    create_user,
    disable_account,
    enable_account,
    restore_buyer,
    suspend_buyer,
    update_account,
)
from market.core.errors import Refusal
from market.core.models import AuditEntry, Role, User
from market.core.pagination import after_id_page, parse_cursor
from market.core.permissions import role_required
from market.forms import (
    CategoryForm,
    MergeForm,
    OrganisationForm,
    ProgrammeForm,
    StaffEditForm,
    StaffForm,
    StateForm,
    SuspendForm,
)
from orders.models import WholesalerProfile
from payments.services import second_payments_to_act_on
from vendors import hierarchy, onboarding
from vendors.models import Business, Member, Organisation, Programme, SelfHelpGroup, StaffAssignment
from vendors.services import assign_staff
from vendors.states import STATES, state_name

admin = Blueprint("admin", __name__, url_prefix="/admin")


@admin.get("/")
@role_required(Role.ADMIN)
def home():
    counts = {label: db.session.scalar(sa.select(sa.func.count()).select_from(model))
              for label, model in (("organisations", Organisation), ("groups", SelfHelpGroup),
                                   ("members", Member), ("businesses", Business), ("accounts", User))}
    return render_template("market/admin_home.html", counts=counts,
                           second_payments=second_payments_to_act_on(db.session))


@admin.route("/staff", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def staff():
    organisations = db.session.scalars(sa.select(Organisation).order_by(Organisation.name)).all()
    form = StaffForm()
    form.organisations.choices = [SelectChoice(o.id, f"{o.name} ({o.state_code})") for o in organisations]
    if form.validate_on_submit():
        try:
            user = create_user(db.session, name=form.name.data, login=form.login.data,
                               password=form.password.data, role=Role.STAFF)
        except AccountError as exc:
            form.login.errors.append(str(exc))
        else:
            assign_staff(db.session, user, form.organisations.data)
            audit(db.session, current_user, "create_staff", "user", user.id,
                  f"organisations {sorted(form.organisations.data)}")
            db.session.commit()
            flash(_("Staff account created."), "success")
            return redirect(url_for("admin.staff"))
    people = db.session.scalars(sa.select(User).where(User.role == Role.STAFF).order_by(User.name)).all()
    assigned: dict[int, list[str]] = {}
    for user_id, name in db.session.execute(
            sa.select(StaffAssignment.user_id, Organisation.name).join(Organisation)):
        assigned.setdefault(user_id, []).append(name)
    return render_template("market/admin_staff.html", form=form, people=people, assigned=assigned)


@admin.get("/audit")
@role_required(Role.ADMIN)
def audit_log():
    """The audit log in words, in her language, filtered by who / what / when, 50 entries a page."""
    filters = audit_words.Filters.read(request.args)
    page = after_id_page(db.session, filters.where(sa.select(AuditEntry)), AuditEntry.id,
                         parse_cursor(request.args.get("after")), per_page=50, newest_first=True)
    return render_template("market/admin_audit.html", page=page, lines=audit_words.lines(db.session, page.items),
                           filters=filters, people=audit_words.people(db.session),
                           actions=audit_words.action_choices())


@admin.get("/audit/export.<any(csv, xlsx):fmt>")
@role_required(Role.ADMIN)
def audit_export(fmt: str):
    """The filtered log as CSV or Excel (a job when it is long); the download itself is audited."""
    filters = audit_words.Filters.read(request.args)
    audit(db.session, current_user, "export_audit_log", "user", current_user.id)
    return export_jobs.respond(db.session, current_user, "audit", filters.params(), fmt, "haat-audit-log",
                               url_for("admin.audit_log", **filters.params()))


def _organisation_choices() -> list[SelectChoice]:
    organisations = db.session.scalars(sa.select(Organisation).order_by(Organisation.name)).all()
    return [SelectChoice(o.id, f"{o.name} ({state_name(o.state_code)})") for o in organisations]


def _staff_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.role != Role.STAFF:
        abort(404)
    return user


@admin.route("/staff/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def staff_account(user_id: int):
    """Edit a staff account: name, login, the organisations they see; disable it, or give new access."""
    person = _staff_or_404(user_id)
    form = StaffEditForm(obj=person) if request.method == "GET" else StaffEditForm()
    form.organisations.choices = _organisation_choices()
    if request.method == "GET":
        form.login.data = person.login_label
        form.organisations.data = list(db.session.scalars(
            sa.select(StaffAssignment.organisation_id).where(StaffAssignment.user_id == person.id)))
    elif form.validate_on_submit():
        try:
            update_account(db.session, current_user, person, name=form.name.data, login=form.login.data)
        except AccountError as exc:
            db.session.rollback()
            form.login.errors.append(str(exc))
        else:
            assign_staff(db.session, person, form.organisations.data or [])
            audit(db.session, current_user, "change_scope", "user", person.id,
                  f"organisations {sorted(form.organisations.data or [])}")
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("admin.staff"))
    return render_template("market/admin_staff_account.html", form=form, person=person)


@admin.post("/staff/<int:user_id>/disable")
@role_required(Role.ADMIN)
def disable_staff(user_id: int):
    person = _staff_or_404(user_id)
    return _account_change(lambda: disable_account(db.session, current_user, person),
                           _("Disabled: this account cannot log in, and it was logged out everywhere."), person)


@admin.post("/staff/<int:user_id>/enable")
@role_required(Role.ADMIN)
def enable_staff(user_id: int):
    person = _staff_or_404(user_id)
    return _account_change(lambda: enable_account(db.session, current_user, person),
                           _("Enabled: this account can log in again."), person)


def _account_change(change, done: str, person: User):
    try:
        change()
    except Refusal as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for("admin.staff_account", user_id=person.id))


@admin.post("/staff/<int:user_id>/login-code")
@role_required(Role.ADMIN)
def staff_login_code(user_id: int):
    """New access for a staff member who lost it: a one-time code to choose a new password, shown once."""
    person = _staff_or_404(user_id)
    if not person.is_active:
        flash(_("Enable the account first."), "error")
        return redirect(url_for("admin.staff_account", user_id=person.id))
    code = onboarding.make_setup_code(db.session, person, current_user)
    audit(db.session, current_user, "make_login_code", "user", person.id)
    db.session.commit()
    response = make_response(render_template("market/admin_login_code.html", person=person, code=code,
                                             days=onboarding.CODE_DAYS))
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the hierarchy: programmes, their states, organisations ------------------------------------------------------

@admin.get("/hierarchy")
@role_required(Role.ADMIN)
def hierarchy_page():
    programmes = db.session.scalars(sa.select(Programme).order_by(Programme.name)).all()
    counts = dict(db.session.execute(sa.select(SelfHelpGroup.organisation_id, sa.func.count())
                                     .group_by(SelfHelpGroup.organisation_id)).all())
    staff_names: dict[int, list[str]] = {}
    for organisation_id, name in db.session.execute(
            sa.select(StaffAssignment.organisation_id, User.name).join(User).order_by(User.name)):
        staff_names.setdefault(organisation_id, []).append(name)
    states = {p.id: hierarchy.programme_states(db.session, p.id) for p in programmes}
    state_form = StateForm()
    state_form.state.choices = _state_choices()
    return render_template("market/admin_hierarchy.html", programmes=programmes, states=states, counts=counts,
                           staff_names=staff_names, form=ProgrammeForm(), state_form=state_form)


def _state_choices() -> list[SelectChoice]:
    return [SelectChoice("", _("Choose…"))] + sorted(
        (SelectChoice(code, state_name(code)) for code in STATES), key=lambda c: str(c.label))


@admin.post("/programmes")
@role_required(Role.ADMIN)
def add_programme():
    return _programme_saved(None)


@admin.post("/programmes/<int:programme_id>")
@role_required(Role.ADMIN)
def rename_programme(programme_id: int):
    return _programme_saved(db.session.get(Programme, programme_id) or abort(404))


def _programme_saved(programme: Programme | None):
    form = ProgrammeForm()
    try:
        if not form.validate_on_submit():
            raise hierarchy.HierarchyError(next(iter(form.name.errors), _("Write a name.")))
        hierarchy.save_programme(db.session, current_user, programme, form.name.data)
    except Refusal as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Saved."), "success")
    return redirect(url_for("admin.hierarchy_page"))


@admin.post("/programmes/<int:programme_id>/states")
@role_required(Role.ADMIN)
def add_state(programme_id: int):
    programme = db.session.get(Programme, programme_id) or abort(404)
    form = StateForm()
    form.state.choices = _state_choices()
    try:
        if not form.validate_on_submit():
            raise hierarchy.HierarchyError(_("Choose a state from the list."))
        hierarchy.add_state(db.session, current_user, programme, form.state.data)
    except Refusal as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("%(state)s added.", state=state_name(form.state.data)), "success")
    return redirect(url_for("admin.hierarchy_page"))


@admin.route("/programmes/<int:programme_id>/organisations/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def new_organisation(programme_id: int):
    programme = db.session.get(Programme, programme_id) or abort(404)
    return _organisation_form(programme, None)


@admin.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_organisation(organisation_id: int):
    organisation = db.session.get(Organisation, organisation_id) or abort(404)
    return _organisation_form(organisation.programme, organisation)


def _organisation_form(programme: Programme, organisation: Organisation | None):
    form = OrganisationForm(obj=organisation) if request.method == "GET" else OrganisationForm()
    form.state.choices = [SelectChoice("", _("Choose…"))] + [
        SelectChoice(code, state_name(code)) for code in hierarchy.programme_states(db.session, programme.id)]
    form.staff.choices = [SelectChoice(u.id, f"{u.name} ({u.login_label})") for u in db.session.scalars(
        sa.select(User).where(User.role == Role.STAFF, User.is_active).order_by(User.name))]
    if request.method == "GET" and organisation is not None:
        form.state.data = organisation.state_code
        form.staff.data = hierarchy.organisation_staff(db.session, organisation.id)
    if form.validate_on_submit():
        data = hierarchy.OrganisationData(programme.id, form.name.data, form.state.data, form.district.data,
                                          form.pickup_address.data, tuple(form.staff.data or ()))
        try:
            hierarchy.save_organisation(db.session, current_user, organisation, data)
        except Refusal as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("admin.hierarchy_page"))
    return render_template("market/admin_organisation.html", form=form, programme=programme,
                           organisation=organisation)


# -- categories -------------------------------------------------------------------------------------------------

@admin.route("/categories", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def categories():
    rows = db.session.scalars(sa.select(Category).order_by(Category.trade, Category.parent_id.is_not(None),
                                                           Category.position, Category.id)).all()
    roots = [c for c in rows if c.parent_id is None]
    form = CategoryForm()
    form.trade.choices = [SelectChoice(c.id, category_name(c.name)) for c in roots]
    if form.validate_on_submit():
        parent = next((c for c in roots if c.id == form.trade.data), None)
        try:
            if parent is None:
                raise Refusal(_("Choose one of the four trades."))
            moderation.add_category(db.session, current_user, parent, form.english.data, form.names())
        except Refusal as exc:
            db.session.rollback()
            form.english.errors.append(str(exc))
        else:
            db.session.commit()
            forget_taxonomy()
            flash(_("Category added."), "success")
            return redirect(url_for("admin.categories"))
    return render_template("market/admin_categories.html", rows=rows, roots=roots, form=form,
                           counts=moderation.category_counts(db.session),
                           by_id={c.id: c for c in rows})


def _leaf_or_404(category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None:
        abort(404)
    return category


@admin.route("/categories/<int:category_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def category(category_id: int):
    kind = _leaf_or_404(category_id)
    form = CategoryForm(english=kind.name, **moderation.written_names(db.session, kind)) \
        if request.method == "GET" else CategoryForm()
    form.trade.choices = [SelectChoice(kind.parent_id or kind.id, "")]
    if form.validate_on_submit():
        try:
            moderation.rename_category(db.session, current_user, kind, form.english.data, form.names())
        except Refusal as exc:
            db.session.rollback()
            form.english.errors.append(str(exc))
        else:
            db.session.commit()
            forget_taxonomy()
            flash(_("Saved."), "success")
            return redirect(url_for("admin.categories"))
    merge = MergeForm()
    merge.into.choices = _merge_choices(kind)
    return render_template("market/admin_category.html", kind=kind, form=form, merge=merge,
                           count=moderation.category_counts(db.session).get(kind.id, 0))


def _merge_choices(kind: Category) -> list[SelectChoice]:
    others = db.session.scalars(sa.select(Category).where(Category.parent_id.is_not(None), Category.id != kind.id,
                                                          Category.retired.is_(False))
                                .order_by(Category.trade, Category.position)).all()
    trades = {c.trade: c.name for c in db.session.scalars(sa.select(Category).where(Category.parent_id.is_(None)))}
    return [SelectChoice("", _("Choose…"))] + [
        SelectChoice(c.id, f"{category_name(c.name)} ({category_name(trades.get(c.trade, c.trade))})") for c in others]


@admin.post("/categories/<int:category_id>/merge")
@role_required(Role.ADMIN)
def merge_category(category_id: int):
    kind = _leaf_or_404(category_id)
    form = MergeForm()
    form.into.choices = _merge_choices(kind)
    try:
        if not form.validate_on_submit():
            raise Refusal(_("Choose a category."))
        moved = moderation.merge_categories(db.session, current_user, kind, db.session.get_one(Category,
                                                                                               form.into.data))
    except Refusal as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.category", category_id=kind.id))
    db.session.commit()
    forget_taxonomy()
    update_search_index()  # the moved products' category in search
    flash(_("Merged: %(n)s products moved.", n=moved), "success")
    return redirect(url_for("admin.categories"))


@admin.post("/categories/<int:category_id>/retire")
@role_required(Role.ADMIN)
def retire_category(category_id: int):
    kind = _leaf_or_404(category_id)
    try:
        moderation.retire_category(db.session, current_user, kind)
    except Refusal as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.category", category_id=kind.id))
    db.session.commit()
    forget_taxonomy()
    flash(_("Retired: no new products in it; those in it stay."), "success")
    return redirect(url_for("admin.categories"))


# -- buyers: accounts on hold, and wholesalers waiting for approval ------------------------------------------------

BUYER_FILTERS = ("all", "waiting", "on_hold")


@admin.get("/buyers")
@role_required(Role.STAFF, Role.ADMIN)
def buyers():
    shown = request.args.get("show") if request.args.get("show") in BUYER_FILTERS else "all"
    stmt = sa.select(User).where(User.role.in_([Role.BUYER, Role.WHOLESALER]))
    if shown == "waiting":
        stmt = stmt.join(WholesalerProfile, WholesalerProfile.user_id == User.id).where(
            WholesalerProfile.status == "pending")
    elif shown == "on_hold":
        stmt = stmt.where(User.suspended_reason.is_not(None))
    page = after_id_page(db.session, stmt, User.id, parse_cursor(request.args.get("after")), per_page=50,
                         newest_first=True)
    profiles = {p.user_id: p for p in db.session.scalars(sa.select(WholesalerProfile).where(
        WholesalerProfile.user_id.in_([u.id for u in page.items] or [-1])))}
    return render_template("market/admin_buyers.html", page=page, profiles=profiles, shown=shown,
                           form=SuspendForm())


def _buyer_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.role not in (Role.BUYER, Role.WHOLESALER):
        abort(404)
    return user


@admin.post("/buyers/<int:user_id>/suspend")
@role_required(Role.ADMIN)
def suspend(user_id: int):
    buyer = _buyer_or_404(user_id)
    form = SuspendForm()
    try:
        if not form.validate_on_submit():
            raise Refusal(next(iter(form.reason.errors), _("Write the reason: the buyer reads it.")))
        suspend_buyer(db.session, current_user, buyer, form.reason.data)
    except Refusal as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("On hold: this buyer is logged out and cannot log in or order."), "success")
    return redirect(url_for("admin.buyers", show=request.args.get("show", "all")))


@admin.post("/buyers/<int:user_id>/restore")
@role_required(Role.ADMIN)
def restore(user_id: int):
    buyer = _buyer_or_404(user_id)
    try:
        restore_buyer(db.session, current_user, buyer)
    except Refusal as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Open again: this buyer can log in and order."), "success")
    return redirect(url_for("admin.buyers", show=request.args.get("show", "all")))
