"""The seller's home and the staff's scoped views of organisations, groups and members."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from catalog.models import Product
from catalog.views import update_search_index
from market.core import clock, db
from market.core.accounts import audit
from market.core.errors import Refusal
from market.core.models import Role
from market.core.money import format_inr, parse_rupees
from market.core.pagination import after_id_page, parse_cursor
from market.core.permissions import role_required
from market.core.qr import qr_code
from market.flows import member_move
from market.reports import rollups
from vendors import finance, hierarchy, loans
from vendors.forms import GoalForm, GroupForm, LoanForm, MoveForm, RepaymentForm, SavingForm, bps
from vendors.groupfund import services as group_books
from vendors.models import Goal, Loan, Member, Organisation, SelfHelpGroup
from vendors.permissions import can_view_organisation, visible_organisation_ids
from vendors.services import group_member_counts, member_for_user, organisations_overview

seller = Blueprint("seller", __name__, url_prefix="/seller")
staff = Blueprint("staff", __name__, url_prefix="/staff")


@seller.get("/")
@role_required(Role.ENTREPRENEUR)
def home():
    member = member_for_user(db.session, current_user)
    shops = [b.id for b in member.businesses] if member else []
    hidden = db.session.scalar(sa.select(sa.func.count()).select_from(Product).where(
        Product.business_id.in_(shops), Product.hidden_reason.is_not(None))) if shops else 0
    return render_template("vendors/seller_home.html", member=member, hidden_products=hidden,
                           keeps=group_books.bookkeeper_groups(db.session, current_user))


@seller.get("/shops/<int:business_id>/poster")
@role_required(Role.ENTREPRENEUR)
def poster(business_id: int):
    """A printable poster for her stall: the shop's public name and a QR code of its page (never her name)."""
    member = member_for_user(db.session, current_user)
    shop = next((b for b in (member.businesses if member else []) if b.id == business_id), None) or abort(404)
    link = url_for("catalog.shop", slug=shop.slug, _external=True)
    return render_template("vendors/poster.html", shop=shop, link=link, qr=qr_code(link))


@staff.get("/", endpoint="home")  # each blueprint has its own "home"
@role_required(Role.STAFF, Role.ADMIN)
def staff_home():
    rows = organisations_overview(db.session, visible_organisation_ids(db.session, current_user))
    return render_template("vendors/staff_home.html", rows=rows)


def _organisation_or_403(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    if not can_view_organisation(db.session, current_user, organisation.id):
        abort(403)
    return organisation


@staff.get("/organisations/<int:organisation_id>")
@role_required(Role.STAFF, Role.ADMIN)
def organisation(organisation_id: int):
    org = _organisation_or_403(organisation_id)
    page = after_id_page(db.session, sa.select(SelfHelpGroup).where(SelfHelpGroup.organisation_id == org.id),
                         SelfHelpGroup.id, parse_cursor(request.args.get("after")), per_page=50)
    counts = group_member_counts(db.session, [g.id for g in page.items])
    return render_template("vendors/staff_organisation.html", org=org, page=page, counts=counts)


@staff.get("/groups/<int:group_id>")
@role_required(Role.STAFF, Role.ADMIN)
def group(group_id: int):
    shg = db.session.get(SelfHelpGroup, group_id) or abort(404)
    _organisation_or_403(shg.organisation_id)
    members = db.session.scalars(sa.select(Member).where(Member.group_id == shg.id)
                                 .options(sa.orm.selectinload(Member.businesses)).order_by(Member.legal_name))
    audit(db.session, current_user, "view_members", "self_help_group", shg.id)
    db.session.commit()
    return render_template("vendors/staff_group.html", shg=shg, members=list(members),
                           fund=finance.group_fund(db.session, shg.id))


@staff.get("/members/<int:member_id>")
@role_required(Role.STAFF, Role.ADMIN)
def member(member_id: int):
    person = db.session.get(Member, member_id) or abort(404)
    _organisation_or_403(person.group.organisation_id)
    audit(db.session, current_user, "view_member", "member", person.id)
    db.session.commit()
    return render_template("vendors/staff_member.html", person=person)


# -- "My money": her loans, savings and goals, fed by her sales ----------------------------------------------------

def _me() -> Member:
    member = member_for_user(db.session, current_user)
    if member is None:
        abort(404)
    return member


@seller.get("/money")
@role_required(Role.ENTREPRENEUR)
def money():
    member = _me()
    return render_template("vendors/money.html", view=finance.my_money(db.session, member), member=member,
                           repay_form=RepaymentForm(paid_on=clock.today()),
                           receipts=group_books.my_receipts(db.session, member))


def _my_loan(loan_id: int) -> Loan:
    """One of her own loans; 404 for anyone else's."""
    loan = db.session.get(Loan, loan_id)
    if loan is None or loan.member_id != _me().id:
        abort(404)
    return loan


@seller.get("/money/loans/<int:loan_id>")
@role_required(Role.ENTREPRENEUR)
def loan(loan_id: int):
    shown = _my_loan(loan_id)
    loan_terms = finance.terms(shown)
    return render_template("vendors/loan.html", loan=shown, position=finance.loan_position(db.session, shown),
                           state=finance.loan_state(db.session, shown),
                           effective_bps=loans.effective_annual_rate_bps(loan_terms),
                           closure=finance.closure_paise(db.session, shown))


@seller.route("/money/loans/new", methods=["GET", "POST"])
@role_required(Role.ENTREPRENEUR)
def new_loan():
    member, form = _me(), LoanForm()
    if form.validate_on_submit() and _saved(lambda: finance.add_loan(
            db.session, member, current_user, form.source.data, form.lender.data or "", form.principal.data,
            bps(form.rate.data), form.method.data, form.tenure.data, form.start.data, form.late_fee.data or 0,
            form.paid_instalments.data, form.owed.data, form.last_paid.data),
            _("Loan added. Now choose how much of each sale goes to it.")):
        return redirect(url_for("seller.shares"))
    return render_template("vendors/loan_new.html", form=form)


def _saved(change, done: str) -> bool:
    """Make a change to her plan: commit and say so, or roll back and say why not."""
    try:
        change()
    except finance.PlanError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return False
    db.session.commit()
    flash(done, "success")
    return True


@seller.route("/money/goals/new", methods=["GET", "POST"])
@role_required(Role.ENTREPRENEUR)
def new_goal():
    member, form = _me(), GoalForm()
    if form.validate_on_submit() and _saved(lambda: finance.add_goal(
            db.session, member, form.kind.data, form.title.data or "", form.target.data, form.target_date.data),
            _("Goal added.")):
        return redirect(url_for("seller.shares"))
    return render_template("vendors/goal_new.html", form=form)


@seller.post("/money/savings")
@role_required(Role.ENTREPRENEUR)
def saved_in_cash():
    member, form = _me(), SavingForm()
    if not form.validate_on_submit():
        flash(_("Write the amount in rupees, like 100."), "error")
    else:
        _saved(lambda: finance.record_saving(db.session, member, form.monthly.data), _("Saving recorded."))
    return redirect(url_for("seller.money"))


@seller.post("/money/loans/<int:loan_id>/repaid")
@role_required(Role.ENTREPRENEUR)
def repaid(loan_id: int):
    loan = _my_loan(loan_id)
    form = RepaymentForm()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")  # some are lazy
        return redirect(url_for("seller.money"))
    _saved(lambda: finance.record_repayment(db.session, loan, form.amount.data, form.paid_on.data),
           _("Repayment recorded."))
    return redirect(url_for("seller.money"))


def _targets(member: Member) -> list[tuple[str, str, dict]]:
    """(form key, what it is called, the Share's fields) for each place a sale's share can go."""
    loans = db.session.scalars(sa.select(Loan).where(Loan.member_id == member.id).order_by(Loan.id)).all()
    goals = db.session.scalars(sa.select(Goal).where(Goal.member_id == member.id).order_by(Goal.id)).all()
    return ([(f"loan-{loan.id}", loan_name(loan), {"target": "loan", "loan_id": loan.id})
             for loan in loans]
            + [("savings", _("Group savings"), {"target": "savings"})]
            + [(f"goal-{goal.id}", _("Goal: %(s)s", s=goal.title), {"target": "goal", "goal_id": goal.id})
               for goal in goals])


@seller.app_template_global()
def loan_name(loan: Loan) -> str:
    """What the loan is called to her everywhere: who lent it ("SHG internal loan", "Bank linkage loan, SBI")."""
    names = {"shg": _("SHG internal loan"), "bank": _("Bank linkage loan"), "seed": _("Seed fund"),
             "other": _("Loan")}
    return f"{names[loan.source]}, {loan.lender}" if loan.lender else names[loan.source]


@seller.route("/money/shares", methods=["GET", "POST"])
@role_required(Role.ENTREPRENEUR)
def shares():
    member = _me()
    targets = _targets(member)
    current = {(r.target, r.loan_id, r.goal_id): r for r in finance.my_money(db.session, member).rules}
    if request.method == "POST":
        try:
            chosen = [(_order(request.form, key), n, _share(request.form, key, fields))
                      for n, (key, _name, fields) in enumerate(targets)]
            finance.set_shares(db.session, member, [s for _o, _n, s in sorted(chosen, key=lambda c: c[:2]) if s])
        except Refusal as exc:  # her plan or an amount that cannot be: the reason, in her words
            db.session.rollback()
            flash(str(exc), "error")
        except (ArithmeticError, ValueError):  # Decimal() of text that is not a number (NaN, Infinity, "ten")
            db.session.rollback()
            flash(_("Write each share as a number, like 10."), "error")
        else:
            db.session.commit()
            flash(_("Saved. From the next sale, these shares are set aside for you."), "success")
            return redirect(url_for("seller.money"))
    values = {key: current.get((f["target"], f.get("loan_id"), f.get("goal_id"))) for key, _name, f in targets}
    targets.sort(key=lambda t: rule.position if (rule := values[t[0]]) else len(targets))  # hers first, in her order
    return render_template("vendors/shares.html", targets=targets, values=values)


def _order(form, key: str) -> int:
    """Where she put this share in her order (1 first); a share without one keeps its place in the list."""
    text = (form.get(f"order-{key}") or "").strip()
    return int(text) if text.isdigit() and len(text) < 3 else 99


def _share(form, key: str, fields: dict) -> finance.Share | None:
    """One target's share from the form: a percentage or rupees; empty or 0 means none."""
    text = (form.get(f"share-{key}") or "").strip()
    if not text or text in ("0", "0.0", "0.00"):
        return None
    if form.get(f"kind-{key}") == "rupees":
        return finance.Share(fixed_paise=parse_rupees(text), **fields)
    return finance.Share(percent_bps=bps(Decimal(text)), **fields)


@staff.post("/groups/<int:group_id>/saving")
@role_required(Role.STAFF, Role.ADMIN)
def group_saving(group_id: int):
    shg = db.session.get(SelfHelpGroup, group_id) or abort(404)
    _organisation_or_403(shg.organisation_id)
    form = SavingForm()
    if form.validate_on_submit() and form.monthly.data <= 1_00_000_00:
        shg.monthly_saving_paise = form.monthly.data
        rollups.saving_changed(db.session, shg)
        audit(db.session, current_user, "set_group_saving", "self_help_group", shg.id)
        db.session.commit()
        flash(_("Monthly saving set to %(a)s.", a=format_inr(shg.monthly_saving_paise)), "success")
    else:
        flash(_("Write the monthly saving in rupees, like 100."), "error")
    return redirect(url_for("staff.group", group_id=shg.id))


# -- the hierarchy as staff change it: SHGs in their organisations, moving a member, closing an SHG ------------------

@staff.route("/organisations/<int:organisation_id>/groups/new", methods=["GET", "POST"])
@role_required(Role.STAFF, Role.ADMIN)
def new_group(organisation_id: int):
    org = _organisation_or_403(organisation_id)
    form = GroupForm()
    if form.validate_on_submit():
        try:
            shg = hierarchy.save_group(db.session, current_user, org, None, _group_data(form))
        except Refusal as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("SHG added."), "success")
            return redirect(url_for("staff.group", group_id=shg.id))
    return render_template("vendors/group_form.html", form=form, org=org, shg=None)


def _group_data(form: GroupForm) -> hierarchy.GroupData:
    return hierarchy.GroupData(form.name.data or "", form.area.data or "", form.formed_on.data)


@staff.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
@role_required(Role.STAFF, Role.ADMIN)
def edit_group(group_id: int):
    shg = db.session.get(SelfHelpGroup, group_id) or abort(404)
    org = _organisation_or_403(shg.organisation_id)
    form = GroupForm(obj=shg)
    if form.validate_on_submit():
        try:
            hierarchy.save_group(db.session, current_user, org, shg, _group_data(form))
        except Refusal as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("staff.group", group_id=shg.id))
    return render_template("vendors/group_form.html", form=form, org=org, shg=shg)


@staff.post("/groups/<int:group_id>/close")
@role_required(Role.STAFF, Role.ADMIN)
def close_group(group_id: int):
    shg = db.session.get(SelfHelpGroup, group_id) or abort(404)
    _organisation_or_403(shg.organisation_id)
    try:
        hierarchy.close_group(db.session, current_user, shg)
    except Refusal as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("The SHG is closed: it takes no new members. Its members' shops go on as before."), "success")
    return redirect(url_for("staff.group", group_id=shg.id))


@staff.route("/members/<int:member_id>/move", methods=["GET", "POST"])
@role_required(Role.STAFF, Role.ADMIN)
def move_member(member_id: int):
    person = db.session.get(Member, member_id) or abort(404)
    _organisation_or_403(person.group.organisation_id)
    visible = visible_organisation_ids(db.session, current_user)
    stmt = (sa.select(SelfHelpGroup).join(Organisation).where(SelfHelpGroup.closed_on.is_(None),
                                                              SelfHelpGroup.id != person.group_id)
            .order_by(Organisation.name, SelfHelpGroup.name).limit(2000))
    if visible is not None:
        stmt = stmt.where(SelfHelpGroup.organisation_id.in_(visible or [-1]))
    groups = list(db.session.scalars(stmt))
    form = MoveForm()
    form.group.choices = [(g.id, f"{g.name} · {g.area} · {g.organisation.name}") for g in groups]
    if form.validate_on_submit():
        to = next(g for g in groups if g.id == form.group.data)
        try:
            member_move.move(db.session, current_user, person, to)
        except Refusal as exc:
            db.session.rollback()
            form.group.errors.append(str(exc))
        else:
            db.session.commit()
            update_search_index()  # her listings' state
            flash(_("Moved. Sales made before the move stay counted in the old SHG."), "success")
            return redirect(url_for("staff.member", member_id=person.id))
    return render_template("vendors/move_member.html", form=form, person=person,
                           history=hierarchy.memberships(db.session, person.id))
