"""The audit log in words: one place that maps each audit action to a sentence in the reader's language.

An entry is stored as codes (`view_members`, `self_help_group`, 1) so that it never changes once written; it is
read as "Asha (staff) opened the members of Jyoti SHG". Every action written anywhere with
`market.core.accounts.audit` needs its sentence here (`tests/unit/market/test_audit_words.py` reads the code
for them and fails on one without); an action unknown here still reads as a sentence ("... did <action>"),
never as a page error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import LazyString, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from catalog.models import Category, Product
from market.core.clock import noon
from market.core.models import AuditEntry, User
from market.core.pagination import parse_id
from market.export_jobs import BATCH, Table, register
from vendors.models import Business, Member, Organisation, Programme, SelfHelpGroup


@dataclass(frozen=True)
class Action:
    """How one audit action reads: `sentence` with %(who)s and %(subject)s; `label` names the kind of action in
    the log's "What" filter."""

    sentence: LazyString
    label: LazyString


ACTIONS: dict[str, Action] = {
    "view_members": Action(_l("%(who)s opened the members of %(subject)s"), _l("Opened a group's members")),
    "view_member": Action(_l("%(who)s opened the details of %(subject)s"), _l("Opened a member's details")),
    "view_members_to_visit": Action(_l("%(who)s looked at the members to visit in %(subject)s"),
                                    _l("Looked at members to visit")),
    "export_members_to_visit": Action(_l("%(who)s downloaded the members to visit in %(subject)s"),
                                      _l("Downloaded members to visit")),
    "set_group_saving": Action(_l("%(who)s changed the monthly saving of %(subject)s"),
                               _l("Changed a group's monthly saving")),
    "bulk_onboarding": Action(_l("%(who)s uploaded a file of new members for %(subject)s"),
                              _l("Uploaded new members")),
    "confirm_onboarding": Action(_l("%(who)s confirmed adding the new members for %(subject)s"),
                                 _l("Confirmed new members")),
    "cancel_onboarding": Action(_l("%(who)s cancelled adding the new members for %(subject)s"),
                                _l("Cancelled new members")),
    "make_setup_codes": Action(_l("%(who)s made first-login codes for the members of %(subject)s"),
                               _l("Made first-login codes")),
    "make_login_code": Action(_l("%(who)s made a login code for %(subject)s"), _l("Made a login code")),
    "first_login": Action(_l("%(who)s chose a password and logged in for the first time"),
                          _l("First login")),
    "reset_password": Action(_l("%(who)s set a new password with a code"), _l("Set a new password")),
    "login_by_code": Action(_l("%(who)s logged in with a code sent to the phone"), _l("Logged in with a code")),
    "erase_account": Action(_l("The account of %(subject)s was erased, as its owner asked"),
                            _l("Erased an account")),
    "bulk_import": Action(_l("%(who)s imported products for the shop %(subject)s"), _l("Imported products")),
    "approve_wholesaler": Action(_l("%(who)s approved the wholesaler %(subject)s"), _l("Approved a wholesaler")),
    "reject_wholesaler": Action(_l("%(who)s turned down the wholesaler %(subject)s"),
                                _l("Turned down a wholesaler")),
    "create_staff": Action(_l("%(who)s made a staff account for %(subject)s"), _l("Made a staff account")),
    "export_audit_log": Action(_l("%(who)s downloaded the audit log"), _l("Downloaded the audit log")),
    "retry_refund": Action(_l("%(who)s sent a refused refund of order %(subject)s to the gateway again"),
                           _l("Tried a refund again")),
    # running the programme: the hierarchy, staff accounts, buyers, moderation, categories
    "save_programme": Action(_l("%(who)s saved the programme %(subject)s"), _l("Saved a programme")),
    "add_state": Action(_l("%(who)s added a state to the programme %(subject)s"), _l("Added a state")),
    "save_organisation": Action(_l("%(who)s saved the organisation %(subject)s and who looks after it"),
                                _l("Saved an organisation")),
    "save_group": Action(_l("%(who)s saved the group %(subject)s"), _l("Saved a group")),
    "close_group": Action(_l("%(who)s closed the group %(subject)s"), _l("Closed a group")),
    "move_member": Action(_l("%(who)s moved %(subject)s to another group"), _l("Moved a member")),
    "edit_account": Action(_l("%(who)s changed the name or login of %(subject)s"), _l("Changed an account")),
    "change_scope": Action(_l("%(who)s changed which organisations %(subject)s looks after"),
                           _l("Changed a staff member's organisations")),
    "disable_account": Action(_l("%(who)s disabled the account of %(subject)s"), _l("Disabled an account")),
    "enable_account": Action(_l("%(who)s enabled the account of %(subject)s again"), _l("Enabled an account")),
    "suspend_buyer": Action(_l("%(who)s put the buyer %(subject)s on hold"), _l("Put a buyer on hold")),
    "restore_buyer": Action(_l("%(who)s let the buyer %(subject)s order again"), _l("Let a buyer order again")),
    "dismiss_report": Action(_l("%(who)s looked at a report on %(subject)s and left it listed"),
                             _l("Left a reported listing")),
    "hide_product": Action(_l("%(who)s hid the product %(subject)s from buyers"), _l("Hid a product")),
    "show_product": Action(_l("%(who)s showed the product %(subject)s to buyers again"), _l("Showed a product")),
    "hide_shop": Action(_l("%(who)s hid the shop %(subject)s from buyers"), _l("Hid a shop")),
    "show_shop": Action(_l("%(who)s showed the shop %(subject)s to buyers again"), _l("Showed a shop")),
    "add_category": Action(_l("%(who)s added the category %(subject)s"), _l("Added a category")),
    "rename_category": Action(_l("%(who)s renamed the category %(subject)s"), _l("Renamed a category")),
    "merge_category": Action(_l("%(who)s merged the category %(subject)s into another"), _l("Merged a category")),
    "retire_category": Action(_l("%(who)s retired the category %(subject)s"), _l("Retired a category")),
    # the SHG's meeting and its fund
    "name_bookkeeper": Action(_l("%(who)s made %(subject)s the group's book-keeper"), _l("Named a book-keeper")),
    "unname_bookkeeper": Action(_l("%(who)s took the book-keeping away from %(subject)s"),
                                _l("Took back the book-keeping")),
    "record_meeting": Action(_l("%(who)s recorded a meeting of %(subject)s"), _l("Recorded a meeting")),
    "give_internal_loan": Action(_l("%(who)s gave %(subject)s a loan from the group's fund"),
                                 _l("Gave a loan from the group's fund")),
    "bank_deposit": Action(_l("%(who)s put cash of %(subject)s into the bank"), _l("Put cash into the bank")),
    "bank_withdrawal": Action(_l("%(who)s took cash of %(subject)s out of the bank"),
                              _l("Took cash out of the bank")),
    "open_group_books": Action(_l("%(who)s opened the books of %(subject)s"), _l("Opened a group's books")),
    "correct_meeting_row": Action(_l("%(who)s corrected what %(subject)s paid at a meeting"),
                                  _l("Corrected a meeting")),
    "view_passbook": Action(_l("%(who)s opened the passbook of %(subject)s"), _l("Opened a passbook")),
}

ROLE_WORDS = {"entrepreneur": _l("member"), "buyer": _l("buyer"), "wholesaler": _l("wholesaler"),
              "staff": _l("staff"), "admin": _l("admin")}

# subject_type -> (its id column, how its name is read): one query per type for a whole page of entries.
_NAMED: dict[str, tuple[Any, Any]] = {
    "self_help_group": (SelfHelpGroup.id, SelfHelpGroup.name),
    "organisation": (Organisation.id, Organisation.name),
    "member": (Member.id, Member.legal_name),
    "business": (Business.id, Business.public_name),
    "user": (User.id, User.name),
    "programme": (Programme.id, Programme.name),
    "product": (Product.id, Product.title),
    "category": (Category.id, Category.name),
}


def who(actor: User | None) -> str:
    """"Asha (staff)"; Haat itself when no one acted."""
    if actor is None:
        return _("Haat (automatic)")
    return _("%(name)s (%(role)s)", name=actor.name or _("(erased account)"),
             role=ROLE_WORDS.get(actor.role, actor.role))


def subject_names(session: Session, entries: Iterable[AuditEntry]) -> dict[tuple[str, int], str]:
    """The name of each entry's subject, read with one query per kind of subject."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.subject_type in _NAMED and entry.subject_id is not None:
            wanted.setdefault(entry.subject_type, set()).add(entry.subject_id)
    names: dict[tuple[str, int], str] = {}
    for kind, ids in wanted.items():
        id_column, column = _NAMED[kind]
        for chunk in _chunks(sorted(ids), 500):
            for id_, name in session.execute(sa.select(id_column, column).where(id_column.in_(chunk))):
                names[(kind, id_)] = name
    return names


def _chunks(ids: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def subject_words(entry: AuditEntry, names: dict[tuple[str, int], str]) -> str:
    """What the entry was about, by name ("Jyoti SHG"), or what it was when it is gone."""
    if entry.subject_id is None:
        return _("(nothing named)")
    if entry.subject_type == "order":
        return f"H-{entry.subject_id:06d}"
    name = names.get((entry.subject_type, entry.subject_id))
    return name if name else _("a record that no longer exists (#%(id)s)", id=entry.subject_id)


def sentence(entry: AuditEntry, names: dict[tuple[str, int], str]) -> str:
    """The entry as one sentence in the reader's language."""
    action = ACTIONS.get(entry.action)
    subject = subject_words(entry, names)
    if action is None:  # written by code newer than this table: still words, never an error
        return _("%(who)s did %(action)s (%(subject)s)", who=who(entry.actor), action=entry.action,
                 subject=subject)
    return str(action.sentence) % {"who": who(entry.actor), "subject": subject}


@dataclass(frozen=True)
class Line:
    """An entry as the log shows it and exports it."""

    at: datetime
    who: str
    what: str


def lines(session: Session, entries: list[AuditEntry]) -> list[Line]:
    """The entries in words, in the order given."""
    names = subject_names(session, entries)
    return [Line(entry.at, who(entry.actor), sentence(entry, names)) for entry in entries]


# -- the log's filters (who / what / when) and its export ----------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """The audit log's filters, read from a query string (junk is ignored: the whole log)."""

    who: int | None = None
    what: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def read(cls, args) -> Filters:
        what = args.get("what", "")
        return cls(parse_id(str(args.get("who") or "")), what if what in ACTIONS else "", _day(args.get("from")),
                   _day(args.get("to")))

    def params(self) -> dict:
        """As a query string (and a job's payload) holds them."""
        return {key: value for key, value in (
            ("who", self.who), ("what", self.what), ("from", self.since and self.since.isoformat()),
            ("to", self.until and self.until.isoformat())) if value}

    def where(self, stmt: sa.Select) -> sa.Select:
        if self.who is not None:
            stmt = stmt.where(AuditEntry.actor_id == self.who)
        if self.what:
            stmt = stmt.where(AuditEntry.action == self.what)
        if self.since:  # days in India: 18:30 UTC the evening before
            stmt = stmt.where(AuditEntry.at >= noon(self.since) - timedelta(hours=12))
        if self.until:
            stmt = stmt.where(AuditEntry.at < noon(self.until) + timedelta(hours=12))
        return stmt


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text and len(text) == 10 else None
    except ValueError:
        return None


def people(session: Session) -> list[User]:
    """Who may be chosen in the "who" filter: staff and admins, by name."""
    return list(session.scalars(sa.select(User).where(User.role.in_(["staff", "admin"])).order_by(User.name)))


def action_choices() -> list[tuple[str, str]]:
    """The "what" filter's choices, by their label in the reader's language."""
    return sorted(((code, str(action.label)) for code, action in ACTIONS.items()), key=lambda c: c[1].lower())


def _count(session: Session, params: dict) -> int:
    return session.scalar(Filters.read(params).where(sa.select(sa.func.count()).select_from(AuditEntry))) or 0


def _batches(session: Session, params: dict) -> Iterator[list[list]]:
    filters, after = Filters.read(params), None
    while True:
        stmt = filters.where(sa.select(AuditEntry))
        if after is not None:
            stmt = stmt.where(AuditEntry.id < after)
        entries = list(session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(BATCH)).unique())
        if not entries:
            return
        after = entries[-1].id
        yield [[format_datetime(line.at, "yyyy-MM-dd HH:mm"), line.who, line.what]
               for line in lines(session, entries)]


AUDIT_TABLE = Table(title=lambda: _("Audit log"), header=lambda: [_("When"), _("Who"), _("What")],
                    count=_count, batches=_batches)
register("audit", AUDIT_TABLE)
