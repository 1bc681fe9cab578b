"""The staff's dashboards: /staff/dashboard/<level>/<key>, with CSV and XLSX exports of each table."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market import db
from market.dashboards import figures, members_to_visit, scope_for, shared
from market.exports import csv_bytes, rupees, xlsx_bytes
from market.models import Role
from market.permissions import role_required
from market.services import audit
from vendors.finance import today
from vendors.models import Organisation, Programme, SelfHelpGroup
from vendors.permissions import visible_organisation_ids

dashboards = Blueprint("dashboards", __name__, url_prefix="/staff/dashboard")
DOWN = {"programme": "state", "state": "organisation", "organisation": "group"}


@dashboards.get("/")
@role_required(Role.STAFF, Role.ADMIN)
def start():
    programme = db.session.scalar(FIRST_PROGRAMME)
    if programme is None:
        abort(404)
    return redirect(url_for("dashboards.show", level="programme", key=programme))


FIRST_PROGRAMME = sa.select(Programme.id).order_by(Programme.id).limit(1)


def _scope(level: str, key: str):
    scope = scope_for(db.session, level, key, visible_organisation_ids(db.session, current_user))
    if scope is None:
        abort(404 if level in ("programme", "state") else 403)
    return scope


def _trail(scope) -> list[tuple[str, str, str]]:
    """(level, key, name) of the levels above, for the crumbs."""
    trail = []
    if scope.level == "group":
        group = db.session.get(SelfHelpGroup, int(scope.key))
        trail.append(("organisation", str(group.organisation_id), group.organisation.name))
    if scope.level in ("group", "organisation"):
        organisation = db.session.get(Organisation, int(trail[0][1] if trail else scope.key))
        trail.insert(0, ("state", organisation.state_code, scope_for(db.session, "state", organisation.state_code,
                                                                      None).name))
        trail.insert(0, ("programme", str(organisation.programme_id), organisation.programme.name))
    if scope.level == "state":
        programme = db.session.scalar(FIRST_PROGRAMME)
        trail.append(("programme", str(programme), db.session.get(Programme, programme).name))
    return trail


@dashboards.get("/<any(programme, state, organisation, group):level>/<key>")
@role_required(Role.STAFF, Role.ADMIN)
def show(level: str, key: str):
    scope = _scope(level, key)
    numbers = figures(db.session, scope, today())
    visits = members_to_visit(db.session, scope, today()) if level == "group" else []
    if visits:
        audit(db.session, current_user, "view_members_to_visit", "self_help_group", int(key))
        db.session.commit()
    return render_template("market/dashboard.html", f=numbers, down=DOWN.get(level), trail=_trail(scope),
                           visits=visits)


@dashboards.get("/<any(programme, state, organisation, group):level>/<key>/export.<any(csv, xlsx):fmt>")
@role_required(Role.STAFF, Role.ADMIN)
def export(level: str, key: str, fmt: str):
    """The page's table: the units one level down, or (SHG level, audited) the members to visit."""
    scope = _scope(level, key)
    if level == "group":
        if request.args.get("shared"):
            abort(403)  # names of members never leave the programme
        audit(db.session, current_user, "export_members_to_visit", "self_help_group", int(key))
        db.session.commit()
        header = [_("Member"), _("No sale for 60 days"), _("Days late on a loan")]
        rows = [[v.member.legal_name, _("yes") if v.no_sales else "", v.late_days or ""]
                for v in members_to_visit(db.session, scope, today())]
    else:
        table = figures(db.session, scope, today()).rows
        if request.args.get("shared"):
            table = shared(table, level)
        header = [_("Name"), _("Members"), _("Income this month (Rs)"), _("Income last month (Rs)"), _("Sales"),
                  _("Active sellers")]
        rows = [[r["name"], r["members"], rupees(r["income_paise"]), rupees(r["last_month_paise"]), r["sales"],
                 r["active_sellers"]] for r in table]
    name = f"haat-{level}-{key}"
    if fmt == "csv":
        body, kind = csv_bytes(header, rows), "text/csv; charset=utf-8"
    else:
        body, kind = xlsx_bytes(header, rows, scope.name), \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = make_response(body)
    response.headers["Content-Type"] = kind
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
