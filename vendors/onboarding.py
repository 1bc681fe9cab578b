"""Bulk onboarding: staff upload a CSV of SHGs and members for one of their organisations.

Every row is checked first (a job; progress is committed as it goes, so the page can show it). A file with one
bad row adds nothing, and the page lists each row's problem in the staff member's language. A good file gives a
preview: each row, the groups and members it will create, and warnings of duplicates (a phone number that has an
account or comes twice in the file: that row is skipped; a name already in the same group, or twice in it: added
only if staff confirm that row). Nothing is written until staff confirm; then a second job writes exactly the
rows the preview showed as added and those confirmed, in one transaction. Cancelling writes nothing.

New members have no password yet ("!" marks it unset: no password matches it). Staff make each one a one-time
setup code (8 digits, 14 days, 5 tries, only its hash stored) to hand over at the group meeting; the member
types her phone number and the code on /welcome and chooses her own password.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from market.core import jobs, uploads
from market.core.accounts import AccountError, check_password_rules, find_by_login, parse_login
from market.core.db import rows_matched, utcnow
from market.core.errors import Refusal
from market.core.jobs import Job, JobFailed
from market.core.models import Role, User
from market.core.money import MoneyError, parse_rupees
from market.core.security import hash_password, verify_password
from market.core.uploads import UploadError
from vendors import finance, loans
from vendors.models import Member, Organisation, SelfHelpGroup, SetupCode
from vendors.services import TRADES, ShopNameError, check_public_text, open_business

MAX_ROWS = 3_000
COLUMNS = ("group", "area", "name", "phone", "trade", "shop_name", "loan_source", "loan_amount", "loan_rate",
           "loan_method", "loan_months", "loan_start", "loan_instalments_paid", "loan_outstanding")
LOAN_COLUMNS = COLUMNS[6:]  # optional: a loan she already has, as "Add a loan" on her money page takes it
REQUIRED = ("group", "name", "phone", "trade")
UNSET = "!unset"  # the password of a member who has not chosen one yet: matches nothing
CODE_DAYS = 14
CODE_TRIES = 5


OnboardingError = UploadError  # the file as a whole cannot be read


class RowError(Refusal):
    """One row of the file cannot be taken; the message (for staff) says why."""


@dataclass(frozen=True)
class NewRow:
    number: int
    group: str
    area: str
    name: str
    phone: str
    trade: str
    shop_name: str
    loan: dict | None = None  # finance.add_loan's terms for a loan she already has


def check_loan(row: dict[str, str]) -> dict | None:
    """The row's loan (the loan_ columns), checked as her "Add a loan" form checks it; None when there is none."""
    given = {name: (row.get(name) or "").strip() for name in LOAN_COLUMNS}
    if not any(given.values()):
        return None
    source = given["loan_source"].lower()
    if source not in ("shg", "bank", "seed", "other"):
        raise RowError(_l("the loan_source must be one of: shg, bank, seed, other"))
    method = given["loan_method"].lower() or "declining"
    if method not in ("declining", "flat"):
        raise RowError(_l("the loan_method must be declining or flat"))
    try:
        principal = parse_rupees(given["loan_amount"])
        owed = parse_rupees(given["loan_outstanding"]) if given["loan_outstanding"] else None
        rate = Decimal(given["loan_rate"] or "x")
        months = int(given["loan_months"])
        paid = int(given["loan_instalments_paid"]) if given["loan_instalments_paid"] else None
        start = date.fromisoformat(given["loan_start"])
    except (MoneyError, InvalidOperation, ValueError):
        raise RowError(_l("the loan needs loan_amount, loan_rate (like 12), loan_months and loan_start "
                            "(like 2026-11-01), written as numbers and a date")) from None
    if not rate.is_finite() or not 0 <= rate <= 60:
        raise RowError(_l("the loan_rate is between 0 and 60 (per cent a year)"))
    rate_bps = int(rate * 100)
    terms = {"source": source, "lender": "", "principal_paise": principal, "annual_rate_bps": rate_bps,
             "method": method, "tenure_months": months, "start": start, "paid_instalments": paid,
             "owed_paise": owed}
    try:
        proposed = loans.Terms(principal, rate_bps, months, loans.Method(method), start)
        loans.schedule(proposed)
        if owed is not None and not 0 < owed <= principal:
            raise loans.LoanError("owed")
        loans.paid_before(proposed, paid if paid is not None else
                          (loans.instalments_paid_for(proposed, owed) if owed is not None else 0))
    except loans.LoanError:
        raise RowError(_l("the loan's terms do not add up (amount, rate, months, and instalments paid fewer "
                            "than all of them)")) from None
    return terms


def read_csv(raw: bytes) -> list[dict[str, str]]:
    return uploads.read_csv(raw, REQUIRED, MAX_ROWS, _("The CSV has no members in it."),
                            _("At most %(n)d members in one file.", n=MAX_ROWS))


def check_row(number: int, row: dict[str, str], groups: set[str]) -> NewRow:
    """One row, checked; raises RowError with the message for staff. `groups`: names (lower case) of the
    organisation's groups and of the new ones given an area somewhere in the file. Duplicates (a phone twice,
    a phone with an account, a name already in the group) are not a row's problem: the preview warns of them."""
    group, area, name = row.get("group", ""), row.get("area", ""), " ".join(row.get("name", "").split())
    if not 2 <= len(group) <= 120:
        raise RowError(_l("write the group's name (2 to 120 letters)"))
    if len(area) > 120:
        raise RowError(_l("the area is longer than 120 letters"))
    if group.lower() not in groups:
        raise RowError(_l("the group %(g)s is new: write its area (village or ward)", g=group))
    if not 2 <= len(name) <= 120:
        raise RowError(_l("write the member's name (2 to 120 letters)"))
    try:
        login = parse_login(row.get("phone", ""))
    except AccountError as exc:
        raise RowError(_l("the phone number %(p)s is not a mobile number", p=row.get("phone", ""))) from exc
    if login.kind != "phone":
        raise RowError(_l("write a mobile number, not an e-mail address"))
    trade = row.get("trade", "").lower()
    if trade not in TRADES:
        raise RowError(_l("the trade must be one of: %(t)s", t=", ".join(TRADES)))
    shop_name = " ".join(row.get("shop_name", "").split())
    if len(shop_name) > 80:
        raise RowError(_l("the shop name is longer than 80 letters"))
    if shop_name:
        try:
            check_public_text([Member(legal_name=name)], shop_name=shop_name)
        except ShopNameError as exc:
            if exc.kind == "contact":
                raise RowError(_l("the shop name contains a phone number, e-mail address or UPI id: buyers "
                                    "must reach her only through Haat")) from exc
            raise RowError(_l("the shop name contains the member's own name: choose one about what she "
                                "makes")) from exc
    return NewRow(number, group, area, name, login.value, trade, shop_name, check_loan(row))


# -- the preview: what will be created, and the duplicates to refuse or confirm one by one -----------------------

ADD, ASK, SKIP = "add", "ask", "skip"  # added; added only if staff confirm it; never added


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def run(session: Session, job: Job) -> dict:
    """The onboarding check (a job): every row checked, nothing written. Its result is the preview: each row, what
    it creates, its warnings and whether it is added, asked about or skipped; or JobFailed with each row's
    problem. Its file: members.csv."""
    organisation = session.get_one(Organisation, job.organisation_id)
    try:
        rows = read_csv(jobs.read_file(job, "members.csv") or b"")
    except OnboardingError as exc:
        raise JobFailed([str(exc)]) from exc
    jobs.progress(session, job, 0, len(rows))
    groups = {g.name.lower(): g for g in session.scalars(
        sa.select(SelfHelpGroup).where(SelfHelpGroup.organisation_id == organisation.id))}
    known = set(groups) | {row.get("group", "").lower() for row in rows if len(row.get("area", "")) >= 2}
    checked, errors = [], []
    for number, row in enumerate(rows, start=2):  # row 1 is the header, as a spreadsheet numbers it
        try:
            checked.append(check_row(number, row, known))
        except RowError as exc:
            errors.append(_("row %(n)d: %(e)s", n=number, e=exc))
        if number % 50 == 0 or number - 1 == len(rows):
            jobs.progress(session, job, number - 1)
    if errors:
        raise JobFailed(errors)
    return {"state": "ready", "rows": preview(session, checked, groups)}


def preview(session: Session, rows: list[NewRow], groups: dict[str, SelfHelpGroup]) -> list[dict]:
    """Each row as the preview shows it (and the confirm writes it): its values, whether its group is new, its
    warnings, and ADD, ASK (a name already in the group: added only if confirmed) or SKIP (its phone has an
    account, or an earlier row has it: a phone is a login, it cannot be added twice)."""
    taken = set(session.scalars(sa.select(User.phone).where(User.phone.in_([r.phone for r in rows]))))
    existing = {(group_id, _fold(name)) for group_id, name in session.execute(
        sa.select(Member.group_id, Member.legal_name).where(
            Member.group_id.in_([g.id for g in groups.values()] or [-1])))}
    areas: dict[str, str] = {}
    for row in rows:  # a new group's area: from its first row that gives one
        if row.area:
            areas.setdefault(row.group.lower(), row.area)
    by_phone: dict[str, int] = {}
    by_name: dict[tuple[str, str], int] = {}
    out = []
    for row in rows:
        group = groups.get(row.group.lower())
        warnings, decision = [], ADD
        if group is not None and group.closed_on is not None:
            warnings.append(_("%(group)s is closed: it takes no new members. This row will not be added",
                              group=group.name))
            decision = SKIP
        elif row.phone in taken:
            warnings.append(_("the phone number %(p)s already has an account: this row will not be added",
                              p=row.phone))
            decision = SKIP
        elif row.phone in by_phone:
            warnings.append(_("the same phone number as row %(n)d: this row will not be added",
                              n=by_phone[row.phone]))
            decision = SKIP
        key = (row.group.lower(), _fold(row.name))
        if decision == ADD and group is not None and (group.id, _fold(row.name)) in existing:
            warnings.append(_("%(group)s already has a member named %(name)s", group=group.name, name=row.name))
            decision = ASK
        elif decision == ADD and key in by_name:
            warnings.append(_("the same name in the same group as row %(n)d", n=by_name[key]))
            decision = ASK
        by_phone.setdefault(row.phone, row.number)
        by_name.setdefault(key, row.number)
        loan = dict(row.loan, start=row.loan["start"].isoformat()) if row.loan else None
        out.append({"number": row.number, "group": group.name if group else row.group,
                    "area": group.area if group else areas.get(row.group.lower(), ""),
                    "new_group": group is None, "name": row.name, "phone": row.phone, "trade": row.trade,
                    "shop_name": row.shop_name, "loan": loan, "warnings": warnings, "decision": decision})
    return out


def chosen(rows: list[dict], confirmed: set[int]) -> list[dict]:
    """The preview's rows to write: every ADD row, and the ASK rows staff confirmed; never a SKIP row."""
    return [r for r in rows if r["decision"] == ADD or (r["decision"] == ASK and r["number"] in confirmed)]


def add(session: Session, job: Job) -> dict:
    """The confirmed onboarding (a job): write exactly the preview's chosen rows (flushed; the runner commits
    with the job's "done"); nothing if a phone got an account since the preview."""
    organisation = session.get_one(Organisation, job.organisation_id)
    data = job.data
    checked = session.get_one(Job, data["preview"])
    rows = chosen(checked.outcome.get("rows", []), set(data.get("confirmed", [])))
    jobs.progress(session, job, 0, len(rows))
    if rows and session.scalar(sa.select(User.id).where(User.phone.in_([r["phone"] for r in rows])).limit(1)):
        raise JobFailed([_("A phone number in the file got an account after the preview; nothing was added. "
                           "Upload the file again to see which.")])
    groups = {g.name.lower(): g for g in session.scalars(
        sa.select(SelfHelpGroup).where(SelfHelpGroup.organisation_id == organisation.id))}
    closed = sorted({r["group"] for r in rows if (g := groups.get(r["group"].lower())) and g.closed_on})
    if closed:
        raise JobFailed([_("%(groups)s closed after the preview; nothing was added. Upload the file again to see "
                           "which rows can be added.", groups=", ".join(closed))])
    new_rows = [NewRow(r["number"], r["group"], r["area"], r["name"], r["phone"], r["trade"], r["shop_name"],
                       dict(r["loan"], start=date.fromisoformat(r["loan"]["start"])) if r["loan"] else None)
                for r in rows]
    try:
        groups_created = _write(session, organisation, new_rows, groups, session.get_one(User, job.created_by_id))
        session.flush()
    except sa.exc.IntegrityError as exc:  # a phone number got an account (a sign-up, another file) meanwhile
        raise JobFailed([_("A phone number in the file got an account while the file was being checked; nothing "
                           "was added. Upload the file again to see which.")]) from exc
    return {"members": len(new_rows), "groups": groups_created}


def _write(session: Session, organisation: Organisation, rows: list[NewRow],
           groups: dict[str, SelfHelpGroup], by: User) -> int:
    created = 0
    for row in rows:
        group = groups.get(row.group.lower())
        if group is None:
            area = next((r.area for r in rows if r.group.lower() == row.group.lower() and r.area), row.area)
            group = SelfHelpGroup(organisation_id=organisation.id, name=row.group, area=area)
            session.add(group)
            session.flush()
            groups[row.group.lower()] = group
            created += 1
        user = User(name=row.name.split()[0], role=str(Role.ENTREPRENEUR), password_hash=UNSET, phone=row.phone)
        session.add(user)
        session.flush()
        member = Member(user_id=user.id, group_id=group.id, legal_name=row.name)
        session.add(member)
        session.flush()
        open_business(session, owners=[member], trade=row.trade,
                      public_name=row.shop_name or f"Haat shop {secrets.randbelow(900_000) + 100_000}")
        if row.loan:
            finance.add_loan(session, member, by, **row.loan)
    return created


# -- first login -------------------------------------------------------------------------------------------------

def has_password(user: User) -> bool:
    return not user.password_hash.startswith("!")


def make_setup_code(session: Session, user: User, by: User) -> str:
    """A new one-time code for the member (replacing any earlier one); returned once, stored only hashed."""
    code = f"{secrets.randbelow(10**8):08d}"
    row = session.get(SetupCode, user.id) or SetupCode(user_id=user.id)
    row.code_hash, row.expires_at, row.made_by_id, row.tries = hash_password(code), \
        utcnow() + timedelta(days=CODE_DAYS), by.id, 0
    session.add(row)
    session.flush()
    return code


class SetupError(Refusal):
    """The code, phone or password cannot be taken; the message is for the member."""


def choose_password(session: Session, phone: str, code: str, password: str) -> User:
    """Check the phone and code, then set her password; the code works once."""
    wrong = SetupError(_l("That phone number and code do not match. Check the code, or ask your field worker "
                          "for a new one."))
    try:
        login = parse_login(phone)
    except AccountError:
        verify_password(None, code)
        raise wrong from None
    user = find_by_login(session, login)  # a member's phone; a staff account's e-mail (a new login code)
    row = session.get(SetupCode, user.id) if user else None
    if user is None or row is None or not user.is_active or row.expires_at <= utcnow() or row.tries >= CODE_TRIES:
        verify_password(None, code)
        raise wrong
    if not verify_password(row.code_hash, "".join(code.split())):
        row.tries += 1
        session.flush()
        raise wrong
    try:
        check_password_rules(password, (user.name, user.phone))
    except AccountError as exc:
        raise SetupError(str(exc)) from None
    user.password_hash = hash_password(password)
    user.session_version += 1
    session.delete(row)
    session.flush()
    return user


def decide(session: Session, checked: Job, state: str, **more) -> bool:
    """Mark a ready preview confirmed or cancelled, once: False if it was decided already (another tab, a second
    click) or is not a finished preview."""
    outcome = checked.outcome
    if checked.status != "done" or outcome.get("state") != "ready":
        return False
    decided = json.dumps({**outcome, "state": state, **more})
    return rows_matched(session.execute(sa.update(Job).where(Job.id == checked.id, Job.result == checked.result)
                                        .values(result=decided).execution_options(synchronize_session=False))) == 1
