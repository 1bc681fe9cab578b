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
from market.core.pagination import parse_id
from market.core.permissions import role_required
from market.core.uploads import MAX_CSV_BYTES
from market.views import home_for, log_in
from vendors import onboarding
from vendors.forms import OnboardingForm, WelcomeForm
from vendors.models import Member, Organisation, SelfHelpGroup
from vendors.permissions import can_view_organisation, visible_organisation_ids

pages = Blueprint("onboarding", __name__)
# The sample file: clearly practice data (a new group named as such, "Sample member" names, numbers at the very
# end of the 99999 series), so uploaded unchanged it lands in a group of its own and meets no real member. It
# shows each warning of the preview: row 4 has row 3's name in the same group (added only if ticked), row 5 is
# row 2 again (never added).
SAMPLE = [("Sample SHG (practice)", "Sample ward", "Sample member One", "9999999901", "food", "Practice Pickles",
           "shg", "20000", "12", "declining", "24", "2026-11-01", "1", ""),
          ("Sample SHG (practice)", "", "Sample member Two", "9999999902", "garments", "", "bank", "15000", "11",
           "flat", "12", "2026-10-01", "", "12000"),
          ("Sample SHG (practice)", "", "Sample member Three", "9999999903", "jewellery", "", "", "", "", "", "", "",
           "", ""),
          ("Sample SHG (practice)", "", "Sample member Three", "9999999904", "handicrafts", "", "", "", "", "", "",
           "", "", ""),
          ("Sample SHG (practice)", "", "Sample member Two", "9999999902", "garments", "", "", "", "", "", "", "",
           "", "")]


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


def _preview(job_id: int) -> jobs.Job:
    checked = db.session.get(jobs.Job, job_id)
    if checked is None or checked.kind != ONBOARDING or checked.organisation_id is None:
        abort(404)
    if not can_view_organisation(db.session, current_user, checked.organisation_id):
        abort(403)
    return checked


@pages.post("/staff/onboarding/<int:job_id>/confirm")
@role_required(Role.STAFF, Role.ADMIN)
def confirm(job_id: int):
    """Add what the preview showed: its rows to add, and each duplicate staff ticked; then the adding job's page."""
    checked = _preview(job_id)
    asked = {r["number"] for r in checked.outcome.get("rows", []) if r["decision"] == onboarding.ASK}
    confirmed = sorted(asked & {n for n in (parse_id(v) for v in request.form.getlist("confirm")) if n})
    job = jobs.enqueue(db.session, ONBOARDING_ADD, current_user.id, locale=str(get_locale()),
                       organisation_id=checked.organisation_id,
                       payload={"preview": checked.id, "confirmed": confirmed})
    if not onboarding.decide(db.session, checked, "confirmed", added_by=job.id):
        db.session.rollback()
        flash(_("This file was confirmed or cancelled already."), "error")
        return redirect(url_for("jobs.show", job_id=checked.id))
    audit(db.session, current_user, "confirm_onboarding", "organisation", checked.organisation_id, f"job {job.id}")
    db.session.commit()
    jobs.after_enqueue(db.session)
    return redirect(url_for("jobs.show", job_id=job.id))


@pages.post("/staff/onboarding/<int:job_id>/cancel")
@role_required(Role.STAFF, Role.ADMIN)
def cancel(job_id: int):
    """Add nothing from this file."""
    checked = _preview(job_id)
    if onboarding.decide(db.session, checked, "cancelled"):
        audit(db.session, current_user, "cancel_onboarding", "organisation", checked.organisation_id,
              f"job {checked.id}")
        db.session.commit()
        flash(_("Cancelled: nothing from that file was added."), "success")
    else:
        db.session.rollback()
        flash(_("This file was confirmed or cancelled already."), "error")
    return redirect(url_for("onboarding.new"))


def _organisation_name(job: jobs.Job) -> str:
    organisation = db.session.get(Organisation, job.organisation_id) if job.organisation_id else None
    return organisation.name if organisation else ""


ONBOARDING = "onboarding"  # the check, whose result is the preview
JOB = jobs.Kind(
    run=onboarding.run,
    heading=lambda job: _("Groups and members for %(org)s", org=_organisation_name(job)),
    result_template="vendors/onboarding_preview.html",
    again=lambda job: url_for("onboarding.new"))
ONBOARDING_ADD = "onboarding_add"  # what a confirmed preview writes
ADD_JOB = jobs.Kind(
    run=onboarding.add,
    heading=lambda job: _("Groups and members for %(org)s", org=_organisation_name(job)),
    result_template="vendors/onboarding_result.html",
    again=lambda job: url_for("onboarding.new"),
    working=lambda job: _("Adding member %(done)s of %(total)s…", done=job.done, total=job.total or "?"))


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
