"""The sellers' safety rules from DESIGN.md, one test (or more) per rule."""

import logging
import re

from market.models_registry import metadata
from market.notifications import LogSender, deliver_signup_codes
from tests.conftest import login
from tests.factories import gen_product

HEALTH_WORDS = re.compile(
    r"hiv|aids|health|medical|diagnos|disease|cd4|viral|\bart\b|antiretro|key_population|kp_|"
    r"sex_work|trafficking|caste|religion|status_health", re.IGNORECASE)


def test_public_pages_never_show_a_members_legal_name_or_contact(client, world, session):
    private = [world.member_a.legal_name, world.member_b.legal_name, world.member_a.user.phone,
               world.member_b.user.phone, "Secretname", "Hiddenname", "9812345601"]
    product = gen_product(session, world.shop_a, title="Block-print kurti")
    session.commit()
    pages = ("/", "/shops", "/shop", f"/s/{world.shop_a.slug}", f"/p/{product.id}", "/auth/login", "/auth/signup")
    for path in pages:
        html = client.get(path).text
        assert "Rangoli Stitches" in html or path.startswith("/auth")
        for secret in private:
            assert secret not in html, f"{secret!r} leaked on {path}"


def test_buyers_see_shops_by_public_name_only(client, world):
    login(client, world.buyer.email)
    html = client.get("/shops").text
    assert "Podi Box" in html
    assert "Selvi" not in html and "Hiddenname" not in html


def test_the_group_is_shown_only_if_the_business_chooses(client, world, session):
    assert world.group_a.name not in client.get("/shops").text
    assert world.group_a.name not in client.get(f"/s/{world.shop_a.slug}").text
    shop = session.get(type(world.shop_a), world.shop_a.id)
    shop.show_group = True
    session.commit()
    assert world.group_a.name in client.get("/shops").text
    assert world.group_a.name in client.get(f"/s/{world.shop_a.slug}").text


def test_haat_stores_no_health_or_key_population_data():
    for table in metadata.sorted_tables:
        for column in table.columns:
            assert not HEALTH_WORDS.search(f"{table.name}.{column.name}"), f"{table.name}.{column.name}"


def test_no_home_address_is_stored_for_members_or_accounts():
    for table in ("users", "members"):
        names = {c.name for c in metadata.tables[table].columns}
        assert not {n for n in names if "address" in n or "location" in n or "gps" in n}, table


def test_pickup_goes_through_the_collective(world):
    assert world.org_a.pickup_address.startswith("Collective office")


def test_contact_details_never_reach_the_log(client, session, caplog):
    caplog.set_level(logging.DEBUG)
    client.post("/auth/signup", data={"name": "Asha", "login": "98765 43210", "password": "long-enough-1",
                                      "confirm": "long-enough-1", "role": "buyer"})
    deliver_signup_codes(session, LogSender())  # the code goes to the log in development, not the number
    client.post("/auth/logout")
    login(client, "asha.secret@example.org", "wrong-password")
    logging.getLogger("werkzeug").info("request from 9876543210 by asha.secret@example.org")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "9876543210" not in text and "98765 43210" not in text and "asha.secret@example.org" not in text
