"""Admin pages: an overview, staff accounts and their organisations, and the audit log."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from market import audit_words, export_jobs
from market.core import db
from market.core.accounts import AccountError, audit, create_user
from market.core.models import AuditEntry, Role, User
from market.core.pagination import after_id_page, parse_cursor
from market.core.permissions import role_required
from market.forms import StaffForm
from payments.services import second_payments_to_act_on
from vendors.models import Business, Member, Organisation, SelfHelpGroup, StaffAssignment
from vendors.services import assign_staff

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
