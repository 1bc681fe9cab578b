"""Admins and staff run the programme on a laptop (1366x768): the hierarchy, moving a member, staff accounts,
moderation of a reported listing (the seller reads why in Hindi), categories, and a buyer put on hold."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from catalog.search import sync
from market.flows import stall_sale
from tests.browser.phone import LAPTOP, log_in, log_out, look, shot, try_log_in
from tests.factories import PASSWORD, category, gen_group, gen_product


@pytest.fixture
def laptop(browser: Browser, live_server):
    """A fresh laptop-sized tab."""
    context = browser.new_context(viewport=LAPTOP, locale="en-IN")
    yield context.new_page()
    context.close()


def test_admin_adds_a_state_an_organisation_with_staff_and_an_shg(laptop: Page, live_server, world):
    log_in(laptop, live_server, world.admin.email)
    laptop.get_by_role("link", name="Programmes, states and organisations").click()
    laptop.get_by_label("Add a state").select_option(label="Karnataka")
    laptop.get_by_role("button", name="Add the state").click()
    expect(laptop.get_by_role("status")).to_contain_text("Karnataka added.")
    laptop.get_by_role("link", name="Add an organisation").click()
    laptop.get_by_label("Name of the organisation").fill("Sakhi Collective")
    laptop.get_by_label("State").select_option(label="Karnataka")
    laptop.get_by_label("District").fill("Mysuru")
    laptop.get_by_label("Pickup address").fill("Collective office, Market Road, Mysuru")
    laptop.get_by_label(f"{world.staff_a.name} ({world.staff_a.email})").check()
    laptop.get_by_role("button", name="Save").click()
    row = laptop.get_by_role("row").filter(has_text="Sakhi Collective")
    expect(row).to_contain_text("Karnataka")
    expect(row).to_contain_text(world.staff_a.name)
    look(laptop, "admin-hierarchy", LAPTOP["width"])
    row.get_by_role("link", name="Edit").click()
    laptop.get_by_role("link", name="Add an SHG").click()
    laptop.get_by_label("Name of the SHG").fill("Chaitanya SHG")
    laptop.get_by_label("Area or village").fill("Ward 7")
    laptop.get_by_role("button", name="Save").click()
    expect(laptop.get_by_role("heading", name="Chaitanya SHG")).to_be_visible()
    log_out(laptop, live_server)

    log_in(laptop, live_server, world.staff_a.email)  # the staff member now sees the new organisation
    laptop.get_by_role("link", name="Sakhi Collective").click()
    expect(laptop.get_by_role("link", name="Chaitanya SHG")).to_be_visible()


def test_staff_move_a_member_and_the_dashboards_keep_her_old_sales_in_the_old_group(laptop: Page, live_server,
                                                                                  world, session):
    stall_sale.record(session, world.shop_a.id, world.member_a.user, 1_250_00, "cash", "before-the-move")
    new_group = gen_group(session, world.org_a, name="Pragati SHG")
    session.commit()
    log_in(laptop, live_server, world.staff_a.email)
    laptop.goto(f"{live_server}/staff/members/{world.member_a.id}")
    laptop.get_by_role("link", name="Move to another SHG").click()
    laptop.get_by_label("Move to this SHG").select_option(label=f"Pragati SHG · {new_group.area} · {world.org_a.name}")
    laptop.get_by_role("button", name="Move").click()
    expect(laptop.get_by_role("status")).to_contain_text("stay counted in the old SHG")
    laptop.goto(f"{live_server}/staff/members/{world.member_a.id}/move")
    expect(laptop.get_by_role("row").filter(has_text=world.group_a.name)).to_be_visible()  # her history
    look(laptop, "staff-move-member", LAPTOP["width"])
    laptop.goto(f"{live_server}/staff/dashboard/group/{world.group_a.id}")
    expect(laptop.get_by_text("₹1,250.00").first).to_be_visible()
    look(laptop, "dashboard-old-group", LAPTOP["width"])
    laptop.goto(f"{live_server}/staff/dashboard/group/{new_group.id}")
    expect(laptop.get_by_text("₹1,250.00")).to_have_count(0)


def test_admin_disables_a_staff_account_and_it_cannot_log_in(laptop: Page, browser: Browser, live_server, world):
    other = browser.new_context(viewport=LAPTOP, locale="en-IN")
    his = other.new_page()
    log_in(his, live_server, world.staff_b.email)
    expect(his.get_by_role("heading", name="Your organisations")).to_be_visible()

    log_in(laptop, live_server, world.admin.email)
    laptop.goto(live_server + "/admin/staff")
    laptop.get_by_role("link", name=world.staff_b.name).click()
    laptop.get_by_text("Disable this account…").click()
    laptop.get_by_role("button", name="Yes, disable the account").click()
    expect(laptop.get_by_role("status")).to_contain_text("cannot log in")
    look(laptop, "admin-staff-disabled", LAPTOP["width"])

    his.goto(live_server + "/staff/")  # logged out at once
    expect(his.get_by_role("heading", name="Log in")).to_be_visible()
    try_log_in(his, live_server, world.staff_b.email)
    expect(his.get_by_role("status").or_(his.get_by_role("alert")).first).to_contain_text("do not match")
    other.close()


def test_a_reported_listing_is_hidden_with_a_reason_the_seller_reads_in_hindi(laptop: Page, browser: Browser,
                                                                              live_server, world, session):
    kurti = gen_product(session, world.shop_a, title="Indigo block kurti")
    session.commit()
    sync(session)
    buyer = browser.new_context(**browser.phone, locale="en-IN")
    phone = buyer.new_page()
    log_in(phone, live_server, world.buyer.email)
    phone.goto(f"{live_server}/p/{kurti.id}")
    phone.get_by_role("link", name="Report this listing").click()
    phone.get_by_label("It shows a phone number, e-mail or other contact").check()
    phone.get_by_label("Anything to add (optional)").fill("The photo has a mobile number on it")
    phone.get_by_role("button", name="Send the report").click()
    expect(phone.get_by_role("status")).to_contain_text("Haat's team will look at it")

    log_in(laptop, live_server, world.staff_a.email)
    laptop.get_by_role("link", name="Reported listings").click()
    row = laptop.get_by_role("row").filter(has_text="Indigo block kurti")
    expect(row).to_contain_text("The photo has a mobile number on it")
    look(laptop, "staff-reports", LAPTOP["width"])
    row.get_by_text("Hide the product…").click()
    row.get_by_role("combobox").first.select_option("contact")
    row.get_by_role("button", name="Hide", exact=True).first.click()
    expect(laptop.get_by_role("status")).to_contain_text("Hidden")
    look(laptop, "staff-reports-hidden", LAPTOP["width"])

    phone.goto(f"{live_server}/search?q=indigo")
    expect(phone.get_by_text("Indigo block kurti")).to_have_count(0)
    buyer.close()

    seller = browser.new_context(**browser.phone, locale="en-IN")
    hers = seller.new_page()
    hers.goto(live_server + "/")
    hers.locator(".first-language button[lang='hi']").click()
    hers.goto(live_server + "/auth/login")
    hers.locator("input[name=login]").fill(world.member_a.user.phone)
    hers.locator("input[name=password]").fill(PASSWORD)
    hers.locator("form button[type=submit]").last.click()
    hers.goto(live_server + "/seller/products/")
    expect(hers.get_by_text("इसमें फ़ोन नंबर, ई-मेल या कोई और संपर्क दिखता है")).to_be_visible()
    look(hers, "seller-hidden-hi", hers.viewport_size["width"])
    seller.close()


def test_admin_merges_two_categories(laptop: Page, live_server, world, session):
    saree = gen_product(session, world.shop_a, category_slug="sarees", title="Cotton saree")
    session.commit()
    log_in(laptop, live_server, world.admin.email)
    laptop.get_by_role("link", name="Categories").click()
    look(laptop, "admin-categories", LAPTOP["width"])
    laptop.get_by_role("row").filter(has_text="Sarees").get_by_role("link").click()
    laptop.get_by_label("Merge into").select_option(label="Kurtis and tops (Garments)")
    laptop.get_by_text("Merge…").click()
    laptop.get_by_role("button", name="Yes, merge").click()
    expect(laptop.get_by_role("status")).to_contain_text("1 products moved")
    expect(laptop.get_by_role("row").filter(has_text="Sarees")).to_contain_text("merged into Kurtis and tops")
    session.expire_all()
    assert saree.category_id == category(session, "kurtis-tops").id


def test_admin_puts_a_buyer_on_hold_and_she_is_told_why(laptop: Page, browser: Browser, live_server, world):
    log_in(laptop, live_server, world.admin.email)
    laptop.get_by_role("link", name="Buyers and wholesalers").click()
    row = laptop.get_by_role("row").filter(has_text=world.buyer.email)
    row.get_by_text("Put on hold…").click()
    row.get_by_label("Reason (the buyer reads it)").fill("Five orders were never collected")
    row.get_by_role("button", name="Yes, put on hold").click()
    expect(laptop.get_by_role("status")).to_contain_text("cannot log in or order")
    expect(laptop.get_by_role("row").filter(has_text=world.buyer.email)).to_contain_text("on hold")
    look(laptop, "admin-buyers", LAPTOP["width"])

    buyer = browser.new_context(**browser.phone, locale="en-IN")
    phone = buyer.new_page()
    try_log_in(phone, live_server, world.buyer.email)
    expect(phone.get_by_role("alert").or_(phone.get_by_role("status")).first).to_contain_text(
        "Five orders were never collected")
    shot(phone, "buyer-on-hold")
    buyer.close()
