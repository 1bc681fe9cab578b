"""The programme's hierarchy, as admins and staff change it: programmes, their states, organisations (and which
staff see them), SHGs, closing an SHG, and moving a member to another SHG with her history kept.

Every change is written to the audit log in the caller's transaction. Services flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from market.core import clock
from market.core.accounts import audit
from market.core.db import utcnow
from market.core.errors import Refusal
from market.core.models import Role, User
from vendors.models import (
    Business,
    LoanStatus,
    Member,
    Membership,
    Organisation,
    Programme,
    ProgrammeState,
    SelfHelpGroup,
    StaffAssignment,
)
from vendors.states import STATES


class HierarchyError(Refusal):
    """A change to the hierarchy that cannot be made; the message is for the person who asked."""


def _name(text: str, longest: int = 120) -> str:
    name = " ".join((text or "").split())
    if not name:
        raise HierarchyError(_l("Write a name."))
    if len(name) > longest:
        raise HierarchyError(_l("That name is too long (at most %(n)d letters).", n=longest))
    return name


# -- programmes and their states -----------------------------------------------------------------------------

def save_programme(session: Session, actor: User, programme: Programme | None, name: str) -> Programme:
    """A new programme, or a new name for one."""
    name = _name(name)
    taken = session.scalar(sa.select(Programme.id).where(sa.func.lower(Programme.name) == name.lower()))
    if taken is not None and (programme is None or taken != programme.id):
        raise HierarchyError(_l("A programme with this name exists already."))
    if programme is None:
        programme = Programme(name=name)
        session.add(programme)
    programme.name = name
    session.flush()
    audit(session, actor, "save_programme", "programme", programme.id, name)
    return programme


def programme_states(session: Session, programme_id: int) -> list[str]:
    """The codes of the states a programme works in."""
    return list(session.scalars(sa.select(ProgrammeState.state_code)
                                .where(ProgrammeState.programme_id == programme_id)
                                .order_by(ProgrammeState.state_code)))


def add_state(session: Session, actor: User, programme: Programme, code: str) -> None:
    """The programme starts work in a state (one of India's states and union territories)."""
    if code not in STATES:
        raise HierarchyError(_l("Choose a state from the list."))
    if code in programme_states(session, programme.id):
        raise HierarchyError(_l("This programme works in that state already."))
    session.add(ProgrammeState(programme_id=programme.id, state_code=code))
    session.flush()
    audit(session, actor, "add_state", "programme", programme.id, code)


# -- organisations -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OrganisationData:
    """What an admin writes about a community organisation, and the staff who see it."""

    programme_id: int
    name: str
    state_code: str
    district: str
    pickup_address: str
    staff_ids: tuple[int, ...] = ()


def save_organisation(session: Session, actor: User, organisation: Organisation | None,
                      data: OrganisationData) -> Organisation:
    """A new organisation, or changes to one; its staff are exactly those chosen."""
    name = _name(data.name)
    if data.state_code not in programme_states(session, data.programme_id):
        raise HierarchyError(_l("Choose one of the programme's states (add the state first)."))
    taken = session.scalar(sa.select(Organisation.id).where(sa.func.lower(Organisation.name) == name.lower()))
    if taken is not None and (organisation is None or taken != organisation.id):
        raise HierarchyError(_l("An organisation with this name exists already."))
    district, address = " ".join(data.district.split()), (data.pickup_address or "").strip()
    if not district or not address:
        raise HierarchyError(_l("Write the district and the address where pickups happen."))
    if organisation is None:
        organisation = Organisation()
        session.add(organisation)
    elif organisation.state_code != data.state_code and _has_members(session, organisation.id):
        raise HierarchyError(_l("This organisation has members: its state cannot change."))
    organisation.programme_id, organisation.name, organisation.state_code = data.programme_id, name, data.state_code
    organisation.district, organisation.pickup_address = district[:80], address[:300]
    session.flush()
    staff = set(session.scalars(sa.select(User.id).where(User.id.in_(data.staff_ids or [-1]),
                                                         User.role == Role.STAFF)))
    session.execute(sa.delete(StaffAssignment).where(StaffAssignment.organisation_id == organisation.id,
                                                     StaffAssignment.user_id.not_in(staff or {-1})))
    present = set(session.scalars(sa.select(StaffAssignment.user_id)
                                  .where(StaffAssignment.organisation_id == organisation.id)))
    session.add_all(StaffAssignment(user_id=u, organisation_id=organisation.id) for u in sorted(staff - present))
    session.flush()
    audit(session, actor, "save_organisation", "organisation", organisation.id, f"staff {sorted(staff)}")
    return organisation


def _has_members(session: Session, organisation_id: int) -> bool:
    return session.scalar(sa.select(sa.exists().where(Member.group_id == SelfHelpGroup.id,
                                                      SelfHelpGroup.organisation_id == organisation_id))) or False


def organisation_staff(session: Session, organisation_id: int) -> list[int]:
    """The ids of the staff who see an organisation."""
    return list(session.scalars(sa.select(StaffAssignment.user_id)
                                .where(StaffAssignment.organisation_id == organisation_id)))


# -- SHGs ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GroupData:
    """What staff write about an SHG."""

    name: str
    area: str
    formed_on: date | None = None


def save_group(session: Session, actor: User, organisation: Organisation, group: SelfHelpGroup | None,
               data: GroupData) -> SelfHelpGroup:
    """A new SHG in the organisation, or changes to one."""
    name, area = _name(data.name), _name(data.area)
    taken = session.scalar(sa.select(SelfHelpGroup.id).where(SelfHelpGroup.organisation_id == organisation.id,
                                                             sa.func.lower(SelfHelpGroup.name) == name.lower()))
    if taken is not None and (group is None or taken != group.id):
        raise HierarchyError(_l("This organisation has an SHG with this name already."))
    if data.formed_on and data.formed_on > clock.today():
        raise HierarchyError(_l("The day it was formed cannot be in the future."))
    if group is None:
        group = SelfHelpGroup(organisation_id=organisation.id)
        session.add(group)
    group.name, group.area, group.formed_on = name, area, data.formed_on
    session.flush()
    audit(session, actor, "save_group", "self_help_group", group.id, name)
    return group


def close_group(session: Session, actor: User, group: SelfHelpGroup) -> None:
    """The SHG takes no new members from today; its members and their shops go on as before."""
    if group.closed_on is not None:
        raise HierarchyError(_l("This SHG is closed already."))
    group.closed_on = clock.today()
    session.flush()
    audit(session, actor, "close_group", "self_help_group", group.id)


def check_open(group: SelfHelpGroup) -> None:
    """Refuse a new member for a closed SHG."""
    if group.closed_on is not None:
        raise HierarchyError(_l("This SHG is closed: it takes no new members."))


# -- moving a member -----------------------------------------------------------------------------------------------

def move_member(session: Session, actor: User, member: Member, to: SelfHelpGroup) -> list[Business]:
    """Move her to another SHG from now. Her memberships keep the dates, the shops only she owns go with her
    (their sales so far stay counted in the old group: each rollup row keeps the group it was counted in), and
    her loans' standing counts in the new group. Returns the shops that moved (the caller refreshes their
    listings)."""
    if to.id == member.group_id:
        raise HierarchyError(_l("The member is in this SHG already. Choose another."))
    check_open(to)
    now = utcnow()
    current = session.scalar(sa.select(Membership).where(Membership.member_id == member.id,
                                                         Membership.until_at.is_(None)))
    if current is None:  # her first move: her membership since she joined is written down now
        current = Membership(member_id=member.id, group_id=member.group_id,
                             from_at=datetime.combine(member.joined_on, time(0), clock.INDIA).astimezone(UTC))
        session.add(current)
    current.until_at = now
    session.add(Membership(member_id=member.id, group_id=to.id, from_at=now, moved_by_id=actor.id))
    before = member.group_id
    member.group_id = to.id
    own = [b for b in session.scalars(sa.select(Business).where(Business.group_id == before,
                                                               Business.kind == "individual"))
           if [o.id for o in b.owners] == [member.id]]
    for business in own:
        business.group_id = to.id
    session.execute(sa.update(LoanStatus).where(LoanStatus.member_id == member.id).values(
        group_id=to.id, organisation_id=to.organisation_id, state_code=to.organisation.state_code))
    session.flush()
    session.expire(member, ["group"])
    for business in own:
        session.expire(business, ["group"])
    audit(session, actor, "move_member", "member", member.id, f"from group {before} to group {to.id}")
    return own


def group_at(session: Session, member_id: int, moment: datetime) -> int | None:
    """The SHG she was in at that moment (her memberships), or None when none is written (she never moved: her
    group is the member row's)."""
    return session.scalar(sa.select(Membership.group_id).where(Membership.member_id == member_id,
                                                               Membership.from_at <= moment)
                          .order_by(Membership.from_at.desc(), Membership.id.desc()).limit(1))


def memberships(session: Session, member_id: int) -> list[Membership]:
    """Her memberships, newest first."""
    return list(session.scalars(sa.select(Membership).where(Membership.member_id == member_id)
                                .order_by(Membership.from_at.desc(), Membership.id.desc())))
