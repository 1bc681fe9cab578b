"""Who may keep a group's books and see its passbooks: pure rules over what the user is assigned."""

from __future__ import annotations

from sqlalchemy.orm import Session

from market.core.models import Role, User
from vendors.groupfund.services import is_bookkeeper
from vendors.models import Member, SelfHelpGroup
from vendors.permissions import can_view_organisation


def can_keep_books(session: Session, user: User, group: SelfHelpGroup) -> bool:
    """The group's book-keeper (a member staff chose), its organisation's field staff, and admins."""
    if user.role in (Role.STAFF, Role.ADMIN):
        return can_view_organisation(session, user, group.organisation_id)
    return user.role == Role.ENTREPRENEUR and is_bookkeeper(session, user, group.id)


def can_name_bookkeeper(session: Session, user: User, group: SelfHelpGroup) -> bool:
    """Only staff of the group's organisation (and admins) choose who keeps its books."""
    return user.role in (Role.STAFF, Role.ADMIN) and can_view_organisation(session, user, group.organisation_id)


def can_see_passbook(session: Session, user: User, member: Member) -> bool:
    """Her own passbook; and whoever keeps her group's books."""
    return member.user_id == user.id or can_keep_books(session, user, member.group)
