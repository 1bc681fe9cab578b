"""The group's books: today's meeting, the fund's accounts, internal loans, the bank, corrections, the checks.

Each movement is one balanced ledger entry with two balanced halves:
* the group's half, on its fund accounts (`account(group, part)`): cash in hand, bank, lent (internal loans'
  principal not yet repaid) on one side; members' pooled savings, interest and fines earned, opening (money the
  fund had before these books, and repayments of loans it gave before them) on the other. So the fund (savings +
  interest + fines + opening) always equals what it holds (cash in hand + bank + lent out), and `fund` checks it.
* the member's half, on her own plan's accounts, exactly as a cash payment she records herself
  (`finance.record_saving` / `record_repayment`): money from her own cash to her savings or her loan. So "My
  money", her loan's schedule and the dashboards see what she paid at the meeting.

An internal loan's repayment is split by the loan maths (`vendors.loans`, the same replay as her loan page):
what it pays of late fines, interest and principal is fines, interest and lent-back in the group's half.
A mistake is corrected by a new entry with its reason (`correct_row`), never by editing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from market.core import events
from market.core import ledger as books
from market.core.accounts import audit
from market.core.clock import day_of, month_start, noon, today
from market.core.errors import Refusal
from market.core.ledger import EntryKind, LedgerAccount, LedgerEntry, LedgerPosting
from market.core.models import User
from market.core.money import format_inr
from market.core.notifications import notify
from vendors import finance, loans
from vendors.groupfund.models import Bookkeeper, FundEntry, FundLoan, Meeting, MeetingRow
from vendors.models import Loan, LoanStatus, Member, SelfHelpGroup

CASH, BANK, LENT, SAVINGS, INTEREST, FINES, OPENING = "cash", "bank", "lent", "savings", "interest", "fines", "opening"
PARTS = (CASH, BANK, LENT, SAVINGS, INTEREST, FINES, OPENING)
MAX_ROW_PAISE = 10_00_000_00  # Rs 10 lakh for one member at one meeting: more is a typo
STOPPED_AFTER = timedelta(days=45)  # a group with no meeting for this long has stopped meeting
CORRECTION_MEMO = "correction of meeting row"  # a correction entry's memo, then the row's id


class FundError(Refusal):
    """Something about the group's books that cannot be done; the message is for the book-keeper."""


def account(group_id: int, part: str) -> str:
    """The ledger code of one of the group's fund accounts."""
    return f"group:{group_id}:fund:{part}"


# -- who keeps the books ------------------------------------------------------------------------------------------

def is_bookkeeper(session: Session, user: User, group_id: int) -> bool:
    """Whether the user is a member chosen to keep this group's books."""
    found = session.scalar(sa.select(sa.func.count()).select_from(Bookkeeper)
                           .join(Member, Member.id == Bookkeeper.member_id)
                           .where(Bookkeeper.group_id == group_id, Member.user_id == user.id))
    return bool(found)


def bookkeeper_groups(session: Session, user: User) -> list[SelfHelpGroup]:
    """The groups whose books the user keeps (a member: her own group, when staff chose her)."""
    return list(session.scalars(sa.select(SelfHelpGroup).join(Bookkeeper, Bookkeeper.group_id == SelfHelpGroup.id)
                                .join(Member, Member.id == Bookkeeper.member_id).where(Member.user_id == user.id)))


def bookkeepers(session: Session, group_id: int) -> list[Member]:
    return list(session.scalars(sa.select(Member).join(Bookkeeper, Bookkeeper.member_id == Member.id)
                                .where(Bookkeeper.group_id == group_id).order_by(Member.legal_name)))


def name_bookkeeper(session: Session, group: SelfHelpGroup, member: Member, by: User, keeps: bool = True) -> None:
    """Staff give a member of the group the book-keeper's role (or take it back)."""
    if member.group_id != group.id:
        raise FundError(_l("Choose a member of this group."))
    row = session.get(Bookkeeper, (group.id, member.id))
    if keeps and row is None:
        session.add(Bookkeeper(group_id=group.id, member_id=member.id, named_by_id=by.id))
    elif not keeps and row is not None:
        session.delete(row)
    audit(session, by, "name_bookkeeper" if keeps else "unname_bookkeeper", "member", member.id, f"group {group.id}")
    session.flush()


# -- the fund's figures -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Fund:
    """The group's fund from its accounts (paise; each as the group sees it, positive)."""

    cash: int
    bank: int
    lent: int
    savings: int
    interest: int
    fines: int
    opening: int
    members_savings: int  # what the members' own savings accounts received from the group's entries

    @property
    def total(self) -> int:
        """The fund: members' savings, interest and fines earned, and what it had before these books."""
        return self.savings + self.interest + self.fines + self.opening

    @property
    def held(self) -> int:
        """What the fund is held as: cash in hand, the bank account, loans lent out."""
        return self.cash + self.bank + self.lent

    @property
    def balanced(self) -> bool:
        """Cash in hand plus bank (plus what is lent out) is the fund; no account below zero; the members'
        passbooks hold the savings the group's books hold."""
        return (self.total == self.held and self.cash >= 0 and self.bank >= 0 and self.lent >= 0
                and self.members_savings == self.savings)


def _sums(session: Session, group_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = {g: dict.fromkeys(PARTS, 0) for g in group_ids}
    if not group_ids:
        return found
    codes = [account(g, part) for g in group_ids for part in PARTS]
    for code, amount in session.execute(
            sa.select(LedgerAccount.code, sa.func.sum(LedgerPosting.amount_paise)).join(LedgerPosting.account)
            .where(LedgerAccount.code.in_(codes)).group_by(LedgerAccount.code)):
        _g, group_id, _f, part = code.split(":")
        found[int(group_id)][part] = int(amount)  # PostgreSQL: Decimal
    return found


def _members_savings(session: Session, group_id: int) -> int:
    """Savings credited to members in the entries that also moved this group's pooled savings."""
    with_group = (sa.select(LedgerPosting.entry_id).join(LedgerPosting.account)
                  .where(LedgerAccount.code == account(group_id, SAVINGS)))
    total = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerPosting.amount_paise), 0))
                           .join(LedgerPosting.account)
                           .where(LedgerPosting.entry_id.in_(with_group), LedgerAccount.code.like("member:%:savings")))
    return -int(total or 0)


def fund(session: Session, group_id: int) -> Fund:
    """The group's fund now."""
    parts = _sums(session, [group_id])[group_id]
    return _fund(parts, _members_savings(session, group_id))


def _fund(parts: dict[str, int], members_savings: int) -> Fund:
    return Fund(cash=parts[CASH], bank=parts[BANK], lent=parts[LENT], savings=-parts[SAVINGS],
                interest=-parts[INTEREST], fines=-parts[FINES], opening=-parts[OPENING],
                members_savings=members_savings)


def funds(session: Session) -> dict[int, Fund]:
    """Every group's fund that has one, in two queries (for staff's lists, whatever the number of groups)."""
    parts: dict[int, dict[str, int]] = {}
    for code, amount in session.execute(
            sa.select(LedgerAccount.code, sa.func.sum(LedgerPosting.amount_paise)).join(LedgerPosting.account)
            .where(LedgerAccount.code.like("group:%:fund:%")).group_by(LedgerAccount.code)):
        _g, group_id, _f, part = code.split(":")
        parts.setdefault(int(group_id), dict.fromkeys(PARTS, 0))[part] = int(amount)
    group_posting, group_account = sa.orm.aliased(LedgerPosting), sa.orm.aliased(LedgerAccount)
    members_savings = {int(code.split(":")[1]): -int(amount) for code, amount in session.execute(
        sa.select(group_account.code, sa.func.sum(LedgerPosting.amount_paise)).join(LedgerPosting.account)
        .join(group_posting, group_posting.entry_id == LedgerPosting.entry_id)
        .join(group_account, group_account.id == group_posting.account_id)
        .where(group_account.code.like("group:%:fund:savings"), LedgerAccount.code.like("member:%:savings"))
        .group_by(group_account.code))}
    return {g: _fund(p, members_savings.get(g, 0)) for g, p in parts.items()}


# -- today's meeting --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Due:
    """One member's row on the meeting sheet, pre-filled with what she owes this month."""

    member: Member
    saving_paise: int  # the rest of this month's saving
    loan: Loan | None  # the internal loan she repays at meetings (the oldest still open)
    instalment_paise: int  # what is due on it now (arrears, or the next instalment less what is set aside)


def _saved_since(session: Session, member_id: int, since: datetime) -> int:
    total = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerPosting.amount_paise), 0))
                           .join(LedgerPosting.account).join(LedgerPosting.entry)
                           .where(LedgerAccount.code == books.member_savings(member_id), LedgerEntry.at >= since))
    return -int(total or 0)


def meeting_loans(session: Session, member_ids: Sequence[int]) -> dict[int, list[Loan]]:
    """Each member's internal loans (from the fund, or SHG internal loans in her plan), oldest first."""
    found: dict[int, list[Loan]] = {m: [] for m in member_ids}
    for loan in session.scalars(sa.select(Loan).where(Loan.member_id.in_(member_ids or [-1]), Loan.source == "shg")
                                .order_by(Loan.start_date, Loan.id)):
        found[loan.member_id].append(loan)
    return found


def sheet(session: Session, group: SelfHelpGroup, on: date | None = None) -> list[Due]:
    """Every member of the group with this month's saving and her loan instalment due, for the meeting."""
    on = on or today()
    members = list(session.scalars(sa.select(Member).where(Member.group_id == group.id).order_by(Member.legal_name)))
    their_loans = meeting_loans(session, [m.id for m in members])
    rows = []
    for member in members:
        saving = max(0, group.monthly_saving_paise - _saved_since(session, member.id, month_start(on)))
        loan, due = None, 0
        for candidate in their_loans[member.id]:
            state = finance.loan_state(session, candidate, on)
            if not state.position.closed:
                loan = candidate
                due = max(state.position.arrears_paise, state.position.next_due_left_paise - state.set_aside_paise)
                break
        rows.append(Due(member, saving, loan, max(0, due)))
    return rows


@dataclass(frozen=True)
class RowIn:
    """What the book-keeper wrote on one member's row."""

    member_id: int
    present: bool
    saving_paise: int = 0
    repaid_paise: int = 0
    fine_paise: int = 0
    loan_id: int | None = None
    client_key: str = ""

    @property
    def total_paise(self) -> int:
        return self.saving_paise + self.repaid_paise + self.fine_paise


def _paid_by_kind(terms: loans.Terms, payments: list[loans.Payment]) -> tuple[int, int, int]:
    """(late fines, interest, principal) paid by these payments, as they count (loans.toward_instalments)."""
    counted = loans.toward_instalments(terms, payments)
    horizon = max([row.due for row in loans.schedule(terms)] + [p.on for p in counted])
    position = loans.position(terms, counted, horizon)
    return (sum(p.penalty_paise for p in position.paid.values()), sum(p.interest_paise for p in position.paid.values()),
            sum(p.principal_paise for p in position.paid.values()))


def _cancel_latest(made: list[loans.Payment], amount: int) -> list[loans.Payment]:
    """Payments after `amount` is taken back, the latest first (as finance.repayments reads a debit)."""
    left = list(made)
    while amount and left:
        take = min(amount, left[-1].amount_paise)
        amount -= take
        last = left.pop()
        if last.amount_paise > take:
            left.append(loans.Payment(last.on, last.amount_paise - take))
    return left


def repayment_split(session: Session, loan: Loan, amount_paise: int, on: date) -> tuple[int, int, int]:
    """What a repayment of `amount_paise` on a day pays of (late fines, interest, principal): the difference it
    makes to the loan's replay (negative parts for a repayment taken back, `amount_paise` < 0)."""
    terms = finance.terms(loan)
    before_pay = [*finance.paid_before(loan), *finance.repayments(session, loan)]
    if amount_paise >= 0:
        after_pay = [*before_pay, loans.Payment(on, amount_paise)]
    else:
        after_pay = [*finance.paid_before(loan), *_cancel_latest(finance.repayments(session, loan), -amount_paise)]
    before, after = _paid_by_kind(terms, before_pay), _paid_by_kind(terms, after_pay)
    split = (after[0] - before[0], after[1] - before[1], after[2] - before[2])
    if sum(split) != amount_paise:  # more than the whole loan: refused before we get here
        raise FundError(_l("That is more than the whole loan."))
    return split


def _is_fund_loan(session: Session, loan_id: int) -> bool:
    return session.get(FundLoan, loan_id) is not None


def _repayment_lines(session: Session, group_id: int, loan: Loan, amount: int, on: date) -> list[tuple[str, int]]:
    """The group's half of a repayment (or of one taken back): fines, interest, and principal back to lent (or
    to opening, for an internal loan given before these books)."""
    fines, interest, principal = repayment_split(session, loan, amount, on)
    back_to = LENT if _is_fund_loan(session, loan.id) else OPENING
    return [(account(group_id, FINES), -fines), (account(group_id, INTEREST), -interest),
            (account(group_id, back_to), -principal)]


def _check_row(session: Session, group: SelfHelpGroup, row: RowIn, members: dict[int, Member], on: date) -> None:
    member = members.get(row.member_id)
    if member is None:
        raise FundError(_l("Someone on the list is not a member of this group."))
    for amount in (row.saving_paise, row.repaid_paise, row.fine_paise):
        if not 0 <= amount <= MAX_ROW_PAISE:
            raise FundError(_l("%(name)s: write each amount between ₹0 and ₹10,00,000.", name=member.legal_name))
    if row.repaid_paise:
        loan = session.get(Loan, row.loan_id) if row.loan_id else None
        if loan is None or loan.member_id != member.id or loan.source != "shg":
            raise FundError(_l("%(name)s: choose one of this member's internal loans.", name=member.legal_name))
        if on < loan.start_date:
            raise FundError(_l("%(name)s: the loan starts after this meeting.", name=member.legal_name))
        if row.repaid_paise > finance.closure_paise(session, loan, on):
            raise FundError(_l("%(name)s: that is more than is still owed on the loan (%(left)s).",
                               name=member.legal_name, left=format_inr(finance.closure_paise(session, loan, on))))


def record_meeting(session: Session, group: SelfHelpGroup, by: User, on: date, rows: Sequence[RowIn],
                   cash_counted_paise: int, client_key: str) -> Meeting:
    """Save a meeting at once: one entry for each member who paid, and a receipt to each. The total must equal
    the cash counted, or nothing is saved. Sent again with the same key (a phone retrying): the meeting saved the
    first time, unchanged."""
    if not client_key or len(client_key) > 40:
        raise FundError(_l("This meeting sheet is incomplete: open today's meeting again."))
    sent = session.scalar(sa.select(Meeting).where(Meeting.client_key == client_key))
    if sent is not None:
        if sent.group_id != group.id:
            raise FundError(_l("This meeting sheet is incomplete: open today's meeting again."))
        return sent
    if on > today() or on < today() - timedelta(days=366):
        raise FundError(_l("The meeting's date is today or in the last year."))
    if not 0 <= cash_counted_paise <= MAX_ROW_PAISE * 20:
        raise FundError(_l("Write the cash counted at the end of the meeting."))
    members = {m.id: m for m in session.scalars(sa.select(Member).where(Member.group_id == group.id))}
    if len({r.member_id for r in rows}) != len(rows):
        raise FundError(_l("A member is on the list twice."))
    for row in rows:
        _check_row(session, group, row, members, on)
    total = sum(r.total_paise for r in rows)
    if total != cash_counted_paise:
        raise FundError(_l("The amounts add up to %(total)s but the cash counted is %(cash)s. Count the cash again "
                           "or correct a row: nothing was saved yet.", total=format_inr(total),
                           cash=format_inr(cash_counted_paise)))
    meeting = Meeting(group_id=group.id, held_on=on, client_key=client_key, cash_counted_paise=cash_counted_paise,
                      recorded_by_id=by.id)
    session.add(meeting)
    session.flush()
    for row in rows:
        saved = MeetingRow(meeting_id=meeting.id, member_id=row.member_id, present=row.present,
                           client_key=(row.client_key or f"{client_key}:{row.member_id}")[:60],
                           saving_paise=row.saving_paise, repaid_paise=row.repaid_paise, fine_paise=row.fine_paise,
                           loan_id=row.loan_id if row.repaid_paise else None)
        session.add(saved)
        session.flush()
        entry = _post_row(session, group, members[row.member_id], saved, on)
        saved.entry_id = entry.id if entry else None
    session.flush()
    events.meeting_recorded.send(session, meeting=meeting)
    audit(session, by, "record_meeting", "self_help_group", group.id,
          f"meeting {meeting.id}: {len(rows)} rows, {total} paise")
    _send_receipts(session, meeting, members)
    return meeting


def _post_row(session: Session, group: SelfHelpGroup, member: Member, row: MeetingRow,
              on: date) -> LedgerEntry | None:
    """One member's payment at the meeting, both halves."""
    if not row.total_paise:
        return None
    own = books.member_own_cash(member.id)
    lines: list[tuple[str, int]] = [(account(group.id, CASH), row.total_paise)]
    if row.saving_paise:
        lines += [(account(group.id, SAVINGS), -row.saving_paise),
                  (own, row.saving_paise), (books.member_savings(member.id), -row.saving_paise)]
    if row.fine_paise:
        lines.append((account(group.id, FINES), -row.fine_paise))
    loan = session.get_one(Loan, row.loan_id) if row.repaid_paise else None
    if loan is not None:
        lines += _repayment_lines(session, group.id, loan, row.repaid_paise, on)
        lines += [(own, row.repaid_paise), (books.member_loan(member.id, loan.id), -row.repaid_paise)]
    entry = books.post(session, EntryKind.MEETING, lines, f"meeting {row.meeting_id}", at=noon(on))
    if loan is not None:
        finance.refresh_status(session, loan)
        events.fund_loan_moved.send(session, loan=loan, group_id=group.id)
    return entry


def _send_receipts(session: Session, meeting: Meeting, members: dict[int, Member]) -> None:
    """Each member who paid gets a receipt of it, in the app and by SMS."""
    for row in meeting.rows:
        if not row.total_paise:
            continue
        user = members[row.member_id].user
        if not user.is_active:
            continue
        figures = receipt_figures(row)
        notify(session, [user], lambda: _l("Receipt from your group meeting"),
               lambda f=figures: _l("Saving %(saving)s, loan %(loan)s, fine %(fine)s: total %(total)s.", **f),
               "/seller/money", kind="meeting_receipt",
               sms=("meeting_receipt", {"total": figures["total"], "saving": figures["saving"],
                                        "loan": figures["loan"]}))


def receipt_figures(row: MeetingRow) -> dict[str, str]:
    """A receipt's amounts as text (the same on her money page, the SMS and the book-keeper's sheet)."""
    return {"saving": format_inr(row.saving_paise), "loan": format_inr(row.repaid_paise),
            "fine": format_inr(row.fine_paise), "total": format_inr(row.total_paise)}


def my_receipts(session: Session, member: Member, limit: int = 6) -> list[MeetingRow]:
    """Her latest meeting rows where she paid something, newest first."""
    return list(session.scalars(sa.select(MeetingRow).join(Meeting).where(
        MeetingRow.member_id == member.id,
        (MeetingRow.saving_paise + MeetingRow.repaid_paise + MeetingRow.fine_paise) > 0)
        .order_by(Meeting.held_on.desc(), Meeting.id.desc()).limit(limit)))


def meetings(session: Session, group_id: int, limit: int = 12) -> list[Meeting]:
    return list(session.scalars(sa.select(Meeting).where(Meeting.group_id == group_id)
                                .order_by(Meeting.held_on.desc(), Meeting.id.desc()).limit(limit)))


# -- the fund: internal loans, the bank, corrections ------------------------------------------------------------

def give_loan(session: Session, group: SelfHelpGroup, by: User, member: Member, principal_paise: int,
              annual_rate_bps: int, tenure_months: int, method: str = "declining", on: date | None = None,
              late_fee_paise: int = 0) -> Loan:
    """Lend from the group's cash in hand to a member: her loan (its schedule by the same loan maths), and the
    entry that takes it out of the cash."""
    on = on or today()
    if member.group_id != group.id:
        raise FundError(_l("Choose a member of this group."))
    if principal_paise > fund(session, group.id).cash:
        raise FundError(_l("The cash in hand is less than the loan. Take money out of the bank first."))
    loan = finance.add_loan(session, member, by, "shg", group.name, principal_paise, annual_rate_bps, method,
                            tenure_months, on, late_fee_paise)
    entry = books.post(session, EntryKind.FUND, [(account(group.id, LENT), principal_paise),
                                                 (account(group.id, CASH), -principal_paise)],
                       f"internal loan {loan.id}", at=noon(on))
    assert entry is not None  # add_loan refuses a loan of nothing
    session.add(FundLoan(loan_id=loan.id, group_id=group.id, entry_id=entry.id, given_by_id=by.id))
    session.flush()
    events.fund_loan_moved.send(session, loan=loan, group_id=group.id)
    audit(session, by, "give_internal_loan", "member", member.id, f"loan {loan.id}: {principal_paise} paise")
    session.flush()
    return loan


def bank(session: Session, group: SelfHelpGroup, by: User, kind: str, amount_paise: int, note: str = "") -> FundEntry:
    """Cash in hand taken to the group's bank account (deposit), or drawn from it (withdrawal)."""
    if kind not in ("deposit", "withdrawal"):
        raise FundError(_l("Choose a deposit or a withdrawal."))
    if not 0 < amount_paise <= MAX_ROW_PAISE * 20:
        raise FundError(_l("Write the amount in rupees, like 500."))
    now = fund(session, group.id)
    if (kind == "deposit" and amount_paise > now.cash) or (kind == "withdrawal" and amount_paise > now.bank):
        raise FundError(_l("That is more than there is: cash in hand %(cash)s, bank %(bank)s.",
                           cash=format_inr(now.cash), bank=format_inr(now.bank)))
    sign = 1 if kind == "deposit" else -1
    entry = books.post(session, EntryKind.FUND, [(account(group.id, BANK), sign * amount_paise),
                                                 (account(group.id, CASH), -sign * amount_paise)], f"bank {kind}")
    assert entry is not None
    row = FundEntry(group_id=group.id, kind=kind, reason=note.strip()[:200], entry_id=entry.id, recorded_by_id=by.id)
    session.add(row)
    audit(session, by, "bank_deposit" if kind == "deposit" else "bank_withdrawal", "self_help_group", group.id,
          f"{amount_paise} paise")
    session.flush()
    return row


def open_books(session: Session, group: SelfHelpGroup, by: User, cash_paise: int, bank_paise: int) -> FundEntry:
    """What the group's fund already had when its books start on Haat: cash in hand and in the bank."""
    if cash_paise < 0 or bank_paise < 0 or cash_paise + bank_paise == 0:
        raise FundError(_l("Write the cash in hand and the bank balance the group has today."))
    entry = books.post(session, EntryKind.FUND, [(account(group.id, CASH), cash_paise),
                                                 (account(group.id, BANK), bank_paise),
                                                 (account(group.id, OPENING), -cash_paise - bank_paise)],
                       "opening balance")
    assert entry is not None
    row = FundEntry(group_id=group.id, kind="opening", entry_id=entry.id, recorded_by_id=by.id)
    session.add(row)
    audit(session, by, "open_group_books", "self_help_group", group.id, f"{cash_paise + bank_paise} paise")
    session.flush()
    return row


@dataclass(frozen=True)
class Figures:
    """A meeting row's figures as they stand after its corrections."""

    saving_paise: int
    repaid_paise: int
    fine_paise: int

    @property
    def total_paise(self) -> int:
        return self.saving_paise + self.repaid_paise + self.fine_paise


def row_figures(session: Session, row: MeetingRow) -> Figures:
    """What a meeting row stands at: as recorded, plus each correction made to it."""
    saving, repaid, fine = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(FundEntry.saving_change_paise), 0),
                  sa.func.coalesce(sa.func.sum(FundEntry.repaid_change_paise), 0),
                  sa.func.coalesce(sa.func.sum(FundEntry.fine_change_paise), 0))
        .where(FundEntry.corrects_row_id == row.id)).one()
    return Figures(row.saving_paise + int(saving), row.repaid_paise + int(repaid), row.fine_paise + int(fine))


def correct_row(session: Session, row: MeetingRow, by: User, reason: str, saving_paise: int, repaid_paise: int,
                fine_paise: int) -> FundEntry:
    """A meeting row's figures were wrong: a new entry moves them to what they should have been, with the reason.
    The entry first written stays as it was."""
    reason = reason.strip()
    if len(reason) < 3:
        raise FundError(_l("Write why the figures are corrected."))
    if min(saving_paise, repaid_paise, fine_paise) < 0 or max(saving_paise, repaid_paise, fine_paise) > MAX_ROW_PAISE:
        raise FundError(_l("Write each amount between ₹0 and ₹10,00,000."))
    if repaid_paise and not row.loan_id:
        raise FundError(_l("No loan was repaid on this row: record the repayment at the next meeting."))
    now = row_figures(session, row)
    ds, dr, df = saving_paise - now.saving_paise, repaid_paise - now.repaid_paise, fine_paise - now.fine_paise
    if not (ds or dr or df):
        raise FundError(_l("These are the figures already recorded: nothing to correct."))
    group_id, member_id = row.meeting.group_id, row.member_id
    own = books.member_own_cash(member_id)
    lines: list[tuple[str, int]] = [(account(group_id, CASH), ds + dr + df),
                                    (account(group_id, SAVINGS), -ds), (own, ds),
                                    (books.member_savings(member_id), -ds), (account(group_id, FINES), -df)]
    on = row.meeting.held_on
    if dr:
        assert row.loan_id is not None
        loan = session.get_one(Loan, row.loan_id)
        if dr > 0 and dr > finance.closure_paise(session, loan, today()):
            raise FundError(_l("That is more than is still owed on the loan."))
        lines += _repayment_lines(session, group_id, loan, dr, on)
        lines += [(own, dr), (books.member_loan(member_id, loan.id), -dr)]
    entry = books.post(session, EntryKind.CORRECTION, lines, f"{CORRECTION_MEMO} {row.id}")
    assert entry is not None
    fix = FundEntry(group_id=group_id, kind="correction", reason=reason[:200], entry_id=entry.id,
                    corrects_row_id=row.id, recorded_by_id=by.id, saving_change_paise=ds, repaid_change_paise=dr,
                    fine_change_paise=df)
    session.add(fix)
    if dr:
        moved = session.get_one(Loan, row.loan_id)
        finance.refresh_status(session, moved)
        events.fund_loan_moved.send(session, loan=moved, group_id=group_id)
    audit(session, by, "correct_meeting_row", "member", member_id, f"row {row.id}: {reason}"[:200])
    session.flush()
    return fix


# -- the cash book and the passbook -----------------------------------------------------------------------------

@dataclass(frozen=True)
class CashLine:
    on: date
    what: str  # a key of CASH_BOOK_WORDS
    detail: str
    cash_in: int
    cash_out: int
    bank_in: int
    bank_out: int
    cash_after: int
    bank_after: int


def cash_book(session: Session, group_id: int) -> list[CashLine]:
    """Every movement of the group's cash in hand and bank account, oldest first, with the balances after each."""
    codes = {account(group_id, CASH): CASH, account(group_id, BANK): BANK}
    moves: dict[int | str, dict] = {}
    for entry_id, at, kind, memo, code, amount in session.execute(
            sa.select(LedgerEntry.id, LedgerEntry.at, LedgerEntry.kind, LedgerEntry.memo, LedgerAccount.code,
                      LedgerPosting.amount_paise).join(LedgerPosting.entry).join(LedgerPosting.account)
            .where(LedgerAccount.code.in_(codes)).order_by(LedgerEntry.id)):
        # A meeting is one line of the cash book (its members' entries together), as in a paper one.
        key = memo if kind == EntryKind.MEETING else entry_id
        move = moves.setdefault(key, {"at": at, "kind": kind, "memo": memo, CASH: 0, BANK: 0, "entry": entry_id})
        move[codes[code]] += int(amount)
    entry_ids = [move["entry"] for move in moves.values()]
    reasons = dict(session.execute(sa.select(FundEntry.entry_id, FundEntry.reason)
                                   .where(FundEntry.group_id == group_id, FundEntry.entry_id.in_(entry_ids))).all())
    cash = bank_total = 0
    lines = []
    for move in moves.values():
        cash += move[CASH]
        bank_total += move[BANK]
        lines.append(CashLine(day_of(move["at"]), _what(move["kind"], move["memo"]), reasons.get(move["entry"], ""),
                              max(0, move[CASH]), max(0, -move[CASH]), max(0, move[BANK]), max(0, -move[BANK]),
                              cash, bank_total))
    return lines


def _what(kind: str, memo: str) -> str:
    if kind == EntryKind.MEETING:
        return "meeting"
    if kind == EntryKind.CORRECTION:
        return "correction"
    if memo.startswith("internal loan"):
        return "loan"
    if memo == "bank deposit":
        return "deposit"
    if memo == "bank withdrawal":
        return "withdrawal"
    if memo.startswith("opening"):
        return "opening"
    if memo.startswith("share"):
        return "sale"
    if memo.startswith("refund"):
        return "refund"
    return "cash"


@dataclass(frozen=True)
class PassLine:
    on: date
    what: str  # a key of the passbook's words (as the cash book's)
    saved: int  # into her savings (negative: taken back)
    repaid: int  # toward her loans
    borrowed: int  # an internal loan given to her
    savings_after: int


def passbook(session: Session, member: Member) -> list[PassLine]:
    """Her savings, her loans given and her repayments, oldest first, with her savings after each."""
    savings_code = books.member_savings(member.id)
    rows: dict[int, dict] = {}
    for entry_id, at, kind, memo, code, amount in session.execute(
            sa.select(LedgerEntry.id, LedgerEntry.at, LedgerEntry.kind, LedgerEntry.memo, LedgerAccount.code,
                      LedgerPosting.amount_paise).join(LedgerPosting.entry).join(LedgerPosting.account)
            .where(LedgerAccount.member_id == member.id,
                   sa.or_(LedgerAccount.code == savings_code, LedgerAccount.code.like(f"member:{member.id}:loan:%")))
            .order_by(LedgerEntry.id)):
        row = rows.setdefault(entry_id, {"at": at, "kind": kind, "memo": memo, "saved": 0, "repaid": 0, "lent": 0})
        row["saved" if code == savings_code else "repaid"] -= int(amount)
    given = session.execute(sa.select(FundLoan.entry_id, Loan.principal_paise).join(Loan, Loan.id == FundLoan.loan_id)
                            .where(Loan.member_id == member.id)).all()
    for entry_id, principal in given:
        entry = session.get_one(LedgerEntry, entry_id)
        rows[entry_id] = {"at": entry.at, "kind": entry.kind, "memo": entry.memo, "saved": 0, "repaid": 0,
                          "lent": int(principal)}
    saved = 0
    lines = []
    for _entry_id, row in sorted(rows.items()):
        saved += row["saved"]
        lines.append(PassLine(day_of(row["at"]), _what(row["kind"], row["memo"]), row["saved"], row["repaid"],
                              row["lent"], saved))
    return lines


# -- what staff should look at ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Attention:
    group: SelfHelpGroup
    last_meeting: date | None
    stopped: bool  # met before, but not in STOPPED_AFTER
    unbalanced: bool


def needing_attention(session: Session, organisation_ids: set[int] | None, on: date | None = None) -> list[Attention]:
    """The groups (of these organisations; None: all) whose books do not balance or whose meetings stopped."""
    on = on or today()
    last = (sa.select(Meeting.group_id, sa.func.max(Meeting.held_on).label("last")).group_by(Meeting.group_id)
            .subquery())
    query = sa.select(SelfHelpGroup, last.c.last).join(last, last.c.group_id == SelfHelpGroup.id)
    if organisation_ids is not None:
        query = query.where(SelfHelpGroup.organisation_id.in_(organisation_ids or [-1]))
    found = session.execute(query.order_by(SelfHelpGroup.name)).all()
    books_of = funds(session)
    groups = {g.id: (g, last_on) for g, last_on in found}
    for group_id in set(books_of) - set(groups):
        group = session.get_one(SelfHelpGroup, group_id)
        if organisation_ids is None or group.organisation_id in organisation_ids:
            groups[group_id] = (group, None)
    result = []
    for group, last_on in sorted(groups.values(), key=lambda pair: pair[0].name):
        stopped = last_on is not None and on - last_on > STOPPED_AFTER
        unbalanced = group.id in books_of and not books_of[group.id].balanced
        if stopped or unbalanced:
            result.append(Attention(group, last_on, stopped, unbalanced))
    return result


@dataclass(frozen=True)
class GroupFigures:
    """A group's meetings and fund over the last DAYS_SHOWN days, for staff."""

    group: SelfHelpGroup
    meetings: int
    attendance_bps: int | None  # members present of the rows recorded, in basis points (None: no meeting)
    saved_at_meetings_paise: int
    saved_from_sales_paise: int
    lent_paise: int  # internal loans from the fund: principal still owed
    at_risk_paise: int  # ... of loans more than AT_RISK_DAYS late (portfolio at risk)
    present: int = 0  # rows marked present, of
    recorded: int = 0  # the rows recorded at these meetings


@dataclass(frozen=True)
class Totals:
    """GroupFigures added up for an organisation or a state."""

    name: str
    groups: int
    meetings: int
    attendance_bps: int | None
    saved_at_meetings_paise: int
    saved_from_sales_paise: int
    lent_paise: int
    at_risk_paise: int


def totals(figures: Sequence[GroupFigures], by: str) -> list[Totals]:
    """The groups' figures added up by "organisation" (its name) or "state" (its code)."""
    found: dict[str, list[GroupFigures]] = {}
    for f in figures:
        key = f.group.organisation.name if by == "organisation" else f.group.organisation.state_code
        found.setdefault(key, []).append(f)
    result = []
    for name, rows in sorted(found.items()):
        recorded = sum(f.recorded for f in rows)
        result.append(Totals(name, len(rows), sum(f.meetings for f in rows),
                             sum(f.present for f in rows) * 10_000 // recorded if recorded else None,
                             sum(f.saved_at_meetings_paise for f in rows), sum(f.saved_from_sales_paise for f in rows),
                             sum(f.lent_paise for f in rows), sum(f.at_risk_paise for f in rows)))
    return result


DAYS_SHOWN = 90
AT_RISK_DAYS = 30
SALE_SHARES = ("share of a sale", "refund takes back its share")  # vendors.finance's memos of sales' shares


def group_figures(session: Session, organisation_ids: set[int] | None, on: date | None = None) -> list[GroupFigures]:
    """Meeting regularity, attendance, savings collected in the field and from sales, and the internal-loan
    portfolio at risk, for each group of these organisations (None: all) that keeps its books on Haat."""
    on = on or today()
    since = on - timedelta(days=DAYS_SHOWN)
    scope = sa.select(SelfHelpGroup.id)
    if organisation_ids is not None:
        scope = scope.where(SelfHelpGroup.organisation_id.in_(organisation_ids or [-1]))
    met = dict(session.execute(sa.select(Meeting.group_id, sa.func.count()).where(
        Meeting.held_on >= since, Meeting.group_id.in_(scope)).group_by(Meeting.group_id)).all())
    rows = {g: (int(present or 0), int(n), int(saved or 0)) for g, present, n, saved in session.execute(
        sa.select(Meeting.group_id, sa.func.sum(sa.case((MeetingRow.present, 1), else_=0)), sa.func.count(),
                  sa.func.sum(MeetingRow.saving_paise)).join(MeetingRow.meeting)
        .where(Meeting.held_on >= since, Meeting.group_id.in_(scope)).group_by(Meeting.group_id))}
    from_sales = {g: -int(amount or 0) for g, amount in session.execute(
        sa.select(Member.group_id, sa.func.sum(LedgerPosting.amount_paise)).join(LedgerPosting.account)
        .join(LedgerPosting.entry).join(Member, Member.id == LedgerAccount.member_id)
        .where(LedgerAccount.code.like("member:%:savings"), LedgerEntry.kind == EntryKind.ALLOCATION,
               LedgerEntry.memo.in_(SALE_SHARES), LedgerEntry.at >= noon(since), Member.group_id.in_(scope))
        .group_by(Member.group_id))}
    lent: dict[int, list[int]] = {}
    for group_id, outstanding, late in session.execute(
            sa.select(FundLoan.group_id, LoanStatus.outstanding_paise, LoanStatus.overdue_days)
            .join(LoanStatus, LoanStatus.loan_id == FundLoan.loan_id).where(FundLoan.group_id.in_(scope))):
        figures = lent.setdefault(group_id, [0, 0])
        figures[0] += int(outstanding)
        figures[1] += int(outstanding) if late > AT_RISK_DAYS else 0
    keeping = set(met) | set(lent) | set(session.scalars(sa.select(Meeting.group_id).where(
        Meeting.group_id.in_(scope)).distinct()))
    result = []
    for group in session.scalars(sa.select(SelfHelpGroup).where(SelfHelpGroup.id.in_(keeping or [-1]))
                                 .order_by(SelfHelpGroup.name)):
        present, recorded, saved = rows.get(group.id, (0, 0, 0))
        out, at_risk = lent.get(group.id, [0, 0])
        result.append(GroupFigures(group, met.get(group.id, 0), present * 10_000 // recorded if recorded else None,
                                   saved, from_sales.get(group.id, 0), out, at_risk, present, recorded))
    return result
