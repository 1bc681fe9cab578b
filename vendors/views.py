"""The seller's home and the staff's scoped views of organisations, groups and members."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from market import db
from market.models import Role
from market.pagination import after_id_page, parse_cursor
from market.permissions import role_required
from market.services import audit
from vendors.models import Member, Organisation, SelfHelpGroup
from vendors.permissions import can_view_organisation, visible_organisation_ids
from vendors.services import group_member_counts, member_for_user, organisations_overview

seller = Blueprint("seller", __name__, url_prefix="/seller")
staff = Blueprint("staff", __name__, url_prefix="/staff")


@seller.get("/")
@role_required(Role.ENTREPRENEUR)
def home():
    member = member_for_user(db.session, current_user)
    return render_template("vendors/seller_home.html", member=member)


@staff.get("/")
@role_required(Role.STAFF, Role.ADMIN)
def home():  # noqa: F811 - each blueprint has its own "home"
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
    return render_template("vendors/staff_group.html", shg=shg, members=list(members))


@staff.get("/members/<int:member_id>")
@role_required(Role.STAFF, Role.ADMIN)
def member(member_id: int):
    person = db.session.get(Member, member_id) or abort(404)
    _organisation_or_403(person.group.organisation_id)
    audit(db.session, current_user, "view_member", "member", person.id)
    db.session.commit()
    return render_template("vendors/staff_member.html", person=person)
