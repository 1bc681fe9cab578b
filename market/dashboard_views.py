"""The staff's dashboards: /staff/dashboard/<level>/<key>, with CSV and XLSX exports of each table."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from catalog.category_names import category_name
from market.core import db
from market.core.accounts import audit
from market.core.clock import today
from market.core.exports import csv_bytes, per_cent, rupees, xlsx_bytes
from market.core.models import Role
from market.core.permissions import role_required
from market.reports.dashboards import (
    MEETING_MONTHS,
    anything_to_share,
    figures,
    members_to_visit,
    scope_for,
    shared,
)
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
        group = db.session.get_one(SelfHelpGroup, int(scope.key))
        trail.append(("organisation", str(group.organisation_id), group.organisation.name))
    if scope.level in ("group", "organisation"):
        organisation = db.session.get_one(Organisation, int(trail[0][1] if trail else scope.key))
        state = scope_for(db.session, "state", organisation.state_code, None)
        trail.insert(0, ("state", organisation.state_code, state.name if state else organisation.state_code))
        trail.insert(0, ("programme", str(organisation.programme_id), organisation.programme.name))
    if scope.level == "state":
        programme = db.session.scalar(FIRST_PROGRAMME)
        trail.append(("programme", str(programme), db.session.get_one(Programme, programme).name))
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
    nothing = None if anything_to_share(db.session, scope) else nothing_to_share(scope)
    return render_template("market/dashboard.html", f=numbers, down=DOWN.get(level), trail=_trail(scope),
                           visits=visits, nothing_to_share=nothing, meeting_months=MEETING_MONTHS)


@dashboards.get("/<any(programme, state, organisation, group):level>/<key>/export.<any(csv, xlsx):fmt>")
@role_required(Role.STAFF, Role.ADMIN)
def export(level: str, key: str, fmt: str):
    """The page's tables: Excel has one sheet per table, a CSV the one named by ?table= (the units one level
    down, or at SHG level the members to visit: audited, and never in an export to share outside)."""
    scope = _scope(level, key)
    to_share = bool(request.args.get("shared"))
    tables = _shared_table(scope) if to_share else _tables(scope)
    name = f"haat-{level}-{key}" + ("-to-share" if to_share else "")  # two files she must not mix up
    if fmt == "csv":
        wanted = request.args.get("table", "visits" if level == "group" and not to_share else "units")
        if wanted not in tables:
            abort(404)
        tables = {wanted: tables[wanted]}
        body, kind = csv_bytes(*tables[wanted][1:]), "text/csv; charset=utf-8"
        name = f"{name}-{wanted}"
    else:
        body, kind = xlsx_bytes(list(tables.values())), \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    if "visits" in tables:
        audit(db.session, current_user, "export_members_to_visit", "self_help_group", int(key))
        db.session.commit()
    response = make_response(body)
    response.headers["Content-Type"] = kind
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _units_table(scope, rows: list[dict], title: str | None = None) -> tuple[str, list[str], list[list]]:
    return (title or str(UNIT_TITLES[scope.level]), [_("Name"), _("Members"), _("Income this month (₹)"),
                                                     _("Income last month (₹)"), _("Sales"), _("Active sellers")],
            [[r["name"], r["members"], _shown(r["income_paise"], True), _shown(r["last_month_paise"], True),
              _shown(r["sales"]), _shown(r["active_sellers"])] for r in rows])


def _meeting_header() -> list[str]:
    return [_("Groups recording meetings"), _("Meeting regularity (per cent)"), _("Groups whose meetings stopped"),
            _("Attendance at meetings (per cent)"), _("Saved at meetings (₹)"), _("Saved from sales (₹)"),
            _("Internal loans owed (₹)"), _("Internal loans at risk, PAR30 (per cent)")]


def _meeting_cells(m) -> list:
    """A Meetings' figures as the cells under _meeting_header."""
    return [m.groups, per_cent(m.regularity_bps), m.stopped, per_cent(m.attendance_bps), rupees(m.field_saved_paise),
            rupees(m.sales_saved_paise), rupees(m.lent_paise), per_cent(m.par30_bps)]


def _shared_table(scope) -> dict[str, tuple[str, list[str], list[list]]]:
    """To share outside the programme (market.reports.dashboards.shared): aggregates only, small cells hidden; a
    file with nothing to share says why in its one line. One table (one sheet): the units' sales, then their
    groups' meetings (no internal loans' principal: only its share at risk)."""
    rows = shared(db.session, scope, today().replace(day=1), today())
    title = UNIT_TITLES[scope.level] if scope.level in ("programme", "state") else _("Organisation")
    name, header, cells = _units_table(scope, rows, str(title))
    meeting_header = _meeting_header()
    header = header + meeting_header[:6] + meeting_header[7:]
    for line, r in zip(cells, rows, strict=True):
        # A count hidden (None) hides its cells; a share with nothing to divide by is None too, and stays empty.
        groups = HIDDEN_BY["groups"]() if r["groups"] is None else None
        loans = HIDDEN_BY["loans"]() if r["loans"] is None else None
        line += [groups or r["groups"], groups or per_cent(r["regularity_bps"]), groups or r["stopped"],
                 groups or per_cent(r["attendance_bps"]), groups or rupees(r["field_saved_paise"]),
                 groups or rupees(r["sales_saved_paise"]), loans or per_cent(r["par30_bps"])]
    if not rows:
        cells.append([nothing_to_share(scope)])
    return {"units": (name, header, cells)}


def nothing_to_share(scope) -> str:
    """Why the export to share outside the programme is empty."""
    if scope.level == "group":
        return _("Nothing to share: a self-help group's own figures never leave the programme.")
    return _("Nothing to share: no self-help group here has 5 members or more, and smaller groups are left out "
             "so that no one can be recognised.")


def _shown(value, money: bool = False):
    """A cell of the shared export: a figure, or why it is hidden."""
    if value is None:
        return HIDDEN_BY["sellers"]()
    return rupees(value) if money else value


def _tables(scope) -> dict[str, tuple[str, list[str], list[list]]]:
    """key -> (sheet title, header, rows) of every table on the page."""
    f = figures(db.session, scope, today())
    tables = {
        "summary": (_("Summary"), [_("Figure"), _("Value")], [
            [_("Business income this month (₹)"), rupees(f.income_paise)],
            [_("Business income last month (₹)"), rupees(f.last_month_paise)],
            [_("Sales this month"), f.orders],
            [_("Active sellers"), f.active_sellers],
            [_("Members"), f.members],
            [_("Earning ₹10,000+ last month"), f.lakhpati],
            [_("Loans on track"), f.on_track],
            [_("Loans behind"), f.overdue],
            [_("Principal still owed (₹)"), rupees(f.outstanding_paise)],
            [_("Portfolio at risk, 30 days (per cent)"), Decimal(f.par30_bps) / 100],
            [_("Saved through Haat (₹)"), rupees(f.saved_paise)],
            [_("Saved this month in full"), f.saved_in_full],
            [_("Members whose group saves monthly"), f.saving_members],
            [_("Members who need a visit"), f.to_visit],
            *([str(title), value] for title, value in zip(_meeting_header(), _meeting_cells(f.meetings),
                                                          strict=True)),
            [_("Meetings held, last %(n)s months", n=MEETING_MONTHS), f.meetings.meetings],
            [_("Months with a meeting, of those expected"),
             f"{f.meetings.met_months} / {f.meetings.expected_months}"]]),
        "months": (_("Income per month"), [_("Month"), _("Business income (₹)")],
                   [[month.isoformat()[:7], rupees(paise)] for month, paise in f.months]),
        "categories": (_("Top categories"), [_("Category"), _("Income, last three months (₹)")],
                       [[category_name(name), rupees(paise)] for name, paise in f.top_categories]),
    }
    if scope.level == "group":
        tables["visits"] = (_("Members to visit"), [_("Member"), _("No sale for 60 days"), _("Days late on a loan")],
                            [[v.member.legal_name, _("yes") if v.no_sales else "", v.late_days or ""]
                             for v in members_to_visit(db.session, scope, today())])
    else:
        tables["units"] = _units_table(scope, f.rows)
        tables["meetings"] = (_("Group meetings"), [_("Name"), *_meeting_header()],
                              [[r["name"], *_meeting_cells(r["meetings"])] for r in f.rows])
    return tables


HIDDEN_BY = {"sellers": lambda: _("hidden: fewer than 5 sellers"), "groups": lambda: _("hidden: fewer than 5 groups"),
             "loans": lambda: _("hidden: fewer than 5 internal loans")}


UNIT_TITLES = {"programme": _l("States"), "state": _l("Community organisations"),
               "organisation": _l("Self-help groups")}
