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
from flask_babel import gettext as _
from flask_login import current_user

from market.core import db
from market.core.accounts import account_key, audit
from market.core.bodies import FORM, body_limit
from market.core.config import LOCALES
from market.core.exports import csv_bytes
from market.core.extensions import limiter
from market.core.models import Role, User
from market.core.permissions import role_required
from market.core.uploads import MAX_CSV_BYTES, in_background
from market.views import home_for, log_in
from vendors import onboarding
from vendors.forms import OnboardingForm, WelcomeForm
from vendors.models import Member, OnboardingJob, Organisation, SelfHelpGroup
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
        job = OnboardingJob(organisation_id=form.organisation.data, created_by_id=current_user.id)
        db.session.add(job)
        db.session.flush()
        audit(db.session, current_user, "bulk_onboarding", "organisation", job.organisation_id, f"job {job.id}")
        db.session.commit()
        raw, job_id = form.csv_file.data.read(), job.id
        in_background(f"onboarding-{job_id}",
                      lambda: onboarding.run(db.session, db.session.get_one(OnboardingJob, job_id), raw))
        return redirect(url_for("onboarding.show", job_id=job.id))
    return render_template("vendors/onboarding_new.html", form=form, columns=onboarding.COLUMNS,
                           required=onboarding.REQUIRED, max_rows=onboarding.MAX_ROWS)


@pages.get("/staff/onboarding/<int:job_id>")
@role_required(Role.STAFF, Role.ADMIN)
def show(job_id: int):
    job = db.session.get(OnboardingJob, job_id) or abort(404)
    if not can_view_organisation(db.session, current_user, job.organisation_id):
        abort(403)
    return render_template("vendors/onboarding_show.html", job=job)


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
