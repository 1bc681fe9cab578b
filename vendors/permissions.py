"""Who may see which part of the programme hierarchy. Pure rules, given what the user is assigned."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from market.core.models import Role, User
from vendors.models import StaffAssignment


def visible_organisation_ids(session: Session, user: User) -> set[int] | None:
    """Organisations whose member-level data the user may see; None means all (admin)."""
    if user.role == Role.ADMIN:
        return None
    if user.role != Role.STAFF:
        return set()
    return set(session.scalars(sa.select(StaffAssignment.organisation_id)
                               .where(StaffAssignment.user_id == user.id)))


def can_view_organisation(session: Session, user: User, organisation_id: int) -> bool:
    """Staff see only their own organisations; admins see all; nobody else any."""
    visible = visible_organisation_ids(session, user)
    return visible is None or organisation_id in visible
