"""The group's books on the web: today's meeting, the cash book, passbooks (pages and PDFs), internal loans, the
bank, corrections, the book-keeper's role, and the groups staff should look at."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from market.core import clock, db
from market.core.accounts import audit
from market.core.errors import Refusal
from market.core.models import Role
from market.core.money import parse_rupees
from market.core.permissions import role_required
from vendors.groupfund import pdf
from vendors.groupfund import services as fund
from vendors.groupfund.models import Meeting, MeetingRow
from vendors.groupfund.permissions import can_keep_books, can_name_bookkeeper, can_see_passbook
from vendors.models import Member, SelfHelpGroup
from vendors.permissions import visible_organisation_ids
from vendors.services import member_for_user

groups = Blueprint("groups", __name__, url_prefix="/groups")
KEEPERS = (Role.ENTREPRENEUR, Role.STAFF, Role.ADMIN)


def _books_of(group_id: int) -> SelfHelpGroup:
    """The group, if the user keeps its books (book-keeper, its field staff, admin); 403 otherwise."""
    group = db.session.get(SelfHelpGroup, group_id) or abort(404)
    if not can_keep_books(db.session, current_user, group):
        abort(403)
    return group


def _amount(form, name: str) -> int:
    text = (form.get(name) or "").strip()
    return parse_rupees(text) if text else 0


def _rows(form, sheet: list[fund.Due], key: str) -> list[fund.RowIn]:
    """The meeting sheet as posted: a member's amounts count only when she is marked present."""
    rows = []
    for due in sheet:
        m = due.member.id
        present = form.get(f"present-{m}") == "y"
        saving, repaid, fine = (_amount(form, f"{part}-{m}") for part in ("saving", "repaid", "fine"))
        if not present and (saving or repaid or fine):
            raise fund.FundError(_("%(name)s is marked absent but has amounts written: tick Came or clear "
                                   "the amounts.", name=due.member.legal_name))
        rows.append(fund.RowIn(m, present, saving, repaid, fine, loan_id=due.loan.id if due.loan else None,
                               client_key=f"{key}:{m}"))
    return rows


@groups.route("/<int:group_id>/meeting", methods=["GET", "POST"])
@role_required(*KEEPERS)
def meeting(group_id: int):
    group = _books_of(group_id)
    sheet = fund.sheet(db.session, group)
    key = request.form.get("client_key") or uuid.uuid4().hex
    if request.method == "POST":
        try:
            rows = _rows(request.form, sheet, key)
            fund.record_meeting(db.session, group, current_user, _held_on(request.form.get("held_on")), rows,
                                parse_rupees(request.form.get("cash_counted") or ""), key[:40])
            db.session.commit()
        except Refusal as exc:
            db.session.rollback()
            flash(str(exc), "error")
        except sa.exc.IntegrityError:  # the same sheet, sent at the same moment by a retrying phone: saved there
            db.session.rollback()
            if db.session.scalar(sa.select(Meeting.id).where(Meeting.client_key == key[:40])) is None:
                raise
            return _saved(group)
        else:
            return _saved(group)
    return render_template("vendors/meeting.html", group=group, sheet=sheet, key=key,
                           typed=request.form if request.method == "POST" else None, today=clock.today())


def _saved(group: SelfHelpGroup):
    flash(_("Meeting saved. Each member who paid gets a receipt."), "success")
    return redirect(url_for("groups.cash_book", group_id=group.id))


def _held_on(text: str | None) -> date:
    """The day the meeting was held, as the phone wrote it (a sheet kept without signal is sent a day later)."""
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return clock.today()


@groups.get("/<int:group_id>/cash-book")
@role_required(*KEEPERS)
def cash_book(group_id: int):
    group = _books_of(group_id)
    members = db.session.scalars(sa.select(Member).where(Member.group_id == group.id).order_by(Member.legal_name))
    return render_template("vendors/cash_book.html", group=group, lines=fund.cash_book(db.session, group.id),
                           now=fund.fund(db.session, group.id), members=list(members),
                           meetings=fund.meetings(db.session, group.id), words=pdf.words(),
                           can_name=can_name_bookkeeper(db.session, current_user, group),
                           keepers=fund.bookkeepers(db.session, group.id))


@groups.get("/<int:group_id>/cash-book.pdf")
@role_required(*KEEPERS)
def cash_book_pdf(group_id: int):
    group = _books_of(group_id)
    body = pdf.cash_book(group, fund.cash_book(db.session, group.id), fund.fund(db.session, group.id),
                         str(get_locale()))
    return _pdf(body, f"cash-book-{group.id}.pdf")


def _pdf(body: bytes, name: str):
    response = make_response(body)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _passbook_of(member_id: int) -> Member:
    member = db.session.get(Member, member_id) or abort(404)
    if not can_see_passbook(db.session, current_user, member):
        abort(403)
    if member.user_id != current_user.id:
        audit(db.session, current_user, "view_passbook", "member", member.id)
        db.session.commit()
    return member


@groups.get("/members/<int:member_id>/passbook")
@role_required(*KEEPERS)
def passbook(member_id: int):
    member = _passbook_of(member_id)
    return render_template("vendors/passbook.html", member=member, lines=fund.passbook(db.session, member),
                           words=pdf.words())


@groups.get("/members/<int:member_id>/passbook.pdf")
@role_required(*KEEPERS)
def passbook_pdf(member_id: int):
    member = _passbook_of(member_id)
    locale = member.user.locale or str(get_locale()) if member.user_id == current_user.id else str(get_locale())
    return _pdf(pdf.passbook(member, fund.passbook(db.session, member), locale), f"passbook-{member.id}.pdf")


@groups.get("/my-passbook")
@role_required(Role.ENTREPRENEUR)
def my_passbook():
    member = member_for_user(db.session, current_user) or abort(404)
    return redirect(url_for("groups.passbook", member_id=member.id))


@groups.route("/<int:group_id>/loans/new", methods=["GET", "POST"])
@role_required(*KEEPERS)
def give_loan(group_id: int):
    group = _books_of(group_id)
    members = list(db.session.scalars(sa.select(Member).where(Member.group_id == group.id)
                                      .order_by(Member.legal_name)))
    if request.method == "POST":
        try:
            member = next((m for m in members if str(m.id) == request.form.get("member")), None)
            if member is None:
                raise fund.FundError(_("Choose who the loan is for."))
            fund.give_loan(db.session, group, current_user, member, parse_rupees(request.form.get("amount", "")),
                           _whole(request.form.get("rate"), _("Write the yearly rate, like 12."), 100),
                           _whole(request.form.get("months"), _("Write the months, like 10.")),
                           request.form.get("method") or "declining")
        except Refusal as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Loan given from the group's cash."), "success")
            return redirect(url_for("groups.cash_book", group_id=group.id))
    return render_template("vendors/fund_loan.html", group=group, members=members, typed=request.form,
                           cash=fund.fund(db.session, group.id).cash)


def _whole(text: str | None, message: str, times: int = 1) -> int:
    """A small whole number typed (a rate, a count of months); a rate may have a decimal point (12.5 -> 1250)."""
    try:
        value = round(float((text or "").strip()) * times)
    except ValueError:
        raise fund.FundError(message) from None
    if not 0 <= value <= 1_000_000:
        raise fund.FundError(message)
    return value


@groups.post("/<int:group_id>/bank")
@role_required(*KEEPERS)
def bank(group_id: int):
    group = _books_of(group_id)
    try:
        fund.bank(db.session, group, current_user, request.form.get("kind", ""),
                  parse_rupees(request.form.get("amount", "")), request.form.get("note", ""))
    except Refusal as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Saved in the cash book."), "success")
    return redirect(url_for("groups.cash_book", group_id=group.id))


@groups.route("/rows/<int:row_id>/correct", methods=["GET", "POST"])
@role_required(*KEEPERS)
def correct(row_id: int):
    row = db.session.get(MeetingRow, row_id) or abort(404)
    group = _books_of(row.meeting.group_id)
    if request.method == "POST":
        try:
            fund.correct_row(db.session, row, current_user, request.form.get("reason", ""),
                             _amount(request.form, "saving"), _amount(request.form, "repaid"),
                             _amount(request.form, "fine"))
        except Refusal as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Correction saved as a new entry."), "success")
            return redirect(url_for("groups.cash_book", group_id=group.id))
    return render_template("vendors/correct_row.html", row=row, group=group,
                           now=fund.row_figures(db.session, row), typed=request.form)


@groups.post("/<int:group_id>/bookkeepers")
@role_required(Role.STAFF, Role.ADMIN)
def name_bookkeeper(group_id: int):
    group = db.session.get(SelfHelpGroup, group_id) or abort(404)
    if not can_name_bookkeeper(db.session, current_user, group):
        abort(403)
    member = db.session.get(Member, request.form.get("member", type=int) or 0)
    try:
        if member is None:
            raise fund.FundError(_("Choose a member of this group."))
        fund.name_bookkeeper(db.session, group, member, current_user, request.form.get("keeps", "y") == "y")
    except Refusal as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Saved."), "success")
    return redirect(url_for("groups.cash_book", group_id=group.id))


@groups.get("/attention")
@role_required(Role.STAFF, Role.ADMIN)
def attention():
    visible = visible_organisation_ids(db.session, current_user)
    figures = fund.group_figures(db.session, visible)
    return render_template("vendors/attention.html", rows=fund.needing_attention(db.session, visible),
                           figures=figures, days=fund.DAYS_SHOWN, late_days=fund.AT_RISK_DAYS,
                           by_organisation=fund.totals(figures, "organisation"), by_state=fund.totals(figures, "state"))
