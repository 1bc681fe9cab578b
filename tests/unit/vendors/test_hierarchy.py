"""The programme hierarchy, businesses and staff scoping, without HTTP."""

import pytest

from market.core.models import Role
from tests.factories import gen_business, gen_group, gen_member, gen_organisation, gen_user
from vendors.permissions import can_view_organisation, visible_organisation_ids
from vendors.services import assign_staff, open_business, slugify


def test_a_group_business_belongs_to_members_of_one_group(session):
    group = gen_group(session)
    a, b = gen_member(session, group), gen_member(session, group)
    shop = open_business(session, owners=[a, b], public_name="Jyoti Papad", trade="food")
    assert shop.kind == "group" and shop.group_id == group.id
    assert {m.id for m in shop.owners} == {a.id, b.id}
    outsider = gen_member(session)
    with pytest.raises(ValueError):
        open_business(session, owners=[a, outsider], public_name="Mixed", trade="food")
    with pytest.raises(ValueError):
        open_business(session, owners=[], public_name="Nobody", trade="food")
    with pytest.raises(ValueError):
        open_business(session, owners=[a], public_name="Guns", trade="weapons")


def test_slugs_are_unique_and_safe(session):
    assert slugify("Meena's Kitchen!") == "meena-s-kitchen"
    assert slugify("सुनहरी पापड़") == "shop"
    first = gen_business(session, public_name="Podi Box")
    second = gen_business(session, public_name="Podi Box")
    third = gen_business(session, public_name="Podi  Box")
    assert (first.slug, second.slug, third.slug) == ("podi-box", "podi-box-2", "podi-box-3")


def test_staff_see_only_their_organisations(session):
    a, b = gen_organisation(session), gen_organisation(session)
    staff = gen_user(session, Role.STAFF)
    assign_staff(session, staff, [a.id])
    assert visible_organisation_ids(session, staff) == {a.id}
    assert can_view_organisation(session, staff, a.id)
    assert not can_view_organisation(session, staff, b.id)


def test_admins_see_all_and_other_roles_none(session):
    org = gen_organisation(session)
    assert visible_organisation_ids(session, gen_user(session, Role.ADMIN)) is None
    for role in (Role.BUYER, Role.WHOLESALER, Role.ENTREPRENEUR):
        user = gen_user(session, role)
        assert visible_organisation_ids(session, user) == set()
        assert not can_view_organisation(session, user, org.id)


def test_only_staff_are_assigned(session):
    with pytest.raises(ValueError):
        assign_staff(session, gen_user(session, Role.BUYER), [gen_organisation(session).id])
