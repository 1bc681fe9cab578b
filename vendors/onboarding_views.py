"""Bulk onboarding (staff) and a new member's first login (/welcome)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from market.core import db, jobs
from market.core.accounts import account_key, audit
from market.core.bodies import FORM, body_limit
from market.core.config import LOCALES
from market.core.exports import csv_bytes
from market.core.extensions import limiter
from market.core.models import Role, User
from market.core.permissions import role_required
from market.core.uploads import MAX_CSV_BYTES
from market.views import home_for, log_in
from vendors import onboarding
from vendors.forms import OnboardingForm, WelcomeForm
from vendors.models import Member, Organisation, SelfHelpGroup
from vendors.permissions import can_view_organisation, visible_organisation_ids

pages = Blueprint("onboarding", __name__)
SAMPLE = [("Jyoti SHG", "Ward 12, Pune", "Sunita Kamble", "9812345670", "food", "Crunchy Corner",
           "shg", "20000", "12", "declining", "24", "2026-11-01", "1", ""),
          ("Jyoti SHG", "", "Rekha Jadhav", "9812345671", "garments", "", "", "", "", "", "", "", "", "")]


@pages.route("/staff/onboarding/new", methods=["GET", "POST"])
@role_required(Role.STAFF, Role.ADMIN)
@body_limit(MAX_CSV_BYTES + FORM)
def new():
    visible = visible_organisation_ids(db.session, current_user)
    query = sa.select(Organisation.id, Organisation.name).order_by(Organisation.name)
    if visible is not None:
        query = query.where(Organisation.id.in_(visible or [-1]))
    form = OnboardingForm()
    form.organisation.choices = [(id_, name) for id_, name in db.session.execute(query)]
    if form.validate_on_submit():
        job = jobs.enqueue(db.session, ONBOARDING, current_user.id, locale=str(get_locale()),
                           organisation_id=form.organisation.data, files={"members.csv": form.csv_file.data.read()})
        audit(db.session, current_user, "bulk_onboarding", "organisation", job.organisation_id, f"job {job.id}")
        db.session.commit()
        jobs.after_enqueue(db.session)
        return redirect(url_for("jobs.show", job_id=job.id))
    return render_template("vendors/onboarding_new.html", form=form, columns=onboarding.COLUMNS,
                           required=onboarding.REQUIRED, max_rows=onboarding.MAX_ROWS)


def _organisation_name(job: jobs.Job) -> str:
    organisation = db.session.get(Organisation, job.organisation_id) if job.organisation_id else None
    return organisation.name if organisation else ""


ONBOARDING = "onboarding"
JOB = jobs.Kind(
    run=onboarding.run,
    heading=lambda job: _("Groups and members for %(org)s", org=_organisation_name(job)),
    result_template="vendors/onboarding_result.html",
    again=lambda job: url_for("onboarding.new"))


@pages.get("/staff/onboarding/sample.csv")
@role_required(Role.STAFF, Role.ADMIN)
def sample():
    response = make_response(csv_bytes(onboarding.COLUMNS, SAMPLE))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="haat-members.csv"'
    return response


@pages.post("/staff/groups/<int:group_id>/setup-codes")
@role_required(Role.STAFF, Role.ADMIN)
def setup_codes(group_id: int):
    """One-time codes for the group's members who have not chosen a password yet: shown once, to print."""
    group = db.session.get(SelfHelpGroup, group_id) or abort(404)
    if not can_view_organisation(db.session, current_user, group.organisation_id):
        abort(403)
    waiting = db.session.execute(sa.select(Member, User).join(User, User.id == Member.user_id)
                                 .where(Member.group_id == group.id, User.password_hash.startswith("!"),
                                        User.is_active).order_by(Member.legal_name)).all()
    codes = [(member, onboarding.make_setup_code(db.session, user, current_user)) for member, user in waiting]
    audit(db.session, current_user, "make_setup_codes", "self_help_group", group.id, f"{len(codes)} codes")
    db.session.commit()
    response = make_response(render_template("vendors/setup_codes.html", group=group, codes=codes,
                                             days=onboarding.CODE_DAYS))
    response.headers["Cache-Control"] = "no-store"
    return response


@pages.post("/staff/members/<int:member_id>/login-code")
@role_required(Role.STAFF, Role.ADMIN)
def member_login_code(member_id: int):
    """A new one-time login code for one member who cannot log in (a forgotten password, no SMS on a shared
    phone): shown once to the staff member, who gives it to her in person; audited."""
    member = db.session.get(Member, member_id) or abort(404)
    if not can_view_organisation(db.session, current_user, member.group.organisation_id):
        abort(403)
    user = db.session.get_one(User, member.user_id)
    if not user.is_active or not user.phone:
        flash(_("This member has no mobile number to log in with: a login code cannot help."), "error")
        return redirect(url_for("staff.member", member_id=member.id))
    code = onboarding.make_setup_code(db.session, user, current_user)
    audit(db.session, current_user, "make_login_code", "member", member.id)
    db.session.commit()
    response = make_response(render_template("vendors/member_login_code.html", member=member, code=code,
                                             days=onboarding.CODE_DAYS))
    response.headers["Cache-Control"] = "no-store"
    return response


def _welcome_key() -> str:
    return "welcome:" + account_key(request.form.get("phone", ""))


@pages.route("/welcome", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], scope="welcome-address")
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=_welcome_key,
               deduct_when=lambda _response: bool(g.get("code_refused")), scope="welcome-account")
def first_login():
    """A new member chooses her password with the code from her field worker, and is logged in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = WelcomeForm()
    if form.validate_on_submit():
        try:
            user = onboarding.choose_password(db.session, form.phone.data, form.code.data, form.password.data)
        except onboarding.SetupError as exc:
            db.session.commit()  # a wrong code counts as a try
            g.code_refused = True  # and towards the limit for this phone number, however it is spelt
            form.code.errors.append(str(exc))
        else:
            if user.locale is None and request.cookies.get("lang") in LOCALES:
                user.locale = request.cookies["lang"]
            audit(db.session, user, "first_login", "user", user.id)
            log_in(user)
            flash(_("Welcome to Haat. Your password is saved: use it with your mobile number to log in."),
                  "success")
            return redirect(home_for(user))
    return render_template("vendors/welcome.html", form=form)
