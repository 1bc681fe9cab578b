"""Admins and staff on a laptop (1366 x 768): the pages use the width, money never wraps; an admin finds an order by
its number and filters payments by status, reads the audit log in Hindi and downloads it; staff upload the
onboarding sample, see the preview with its duplicate warnings, confirm one, and the members exist."""

from __future__ import annotations

import io
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from market.core.models import AuditEntry
from payments import services as payments
from tests.browser.conftest import choose_language
from tests.browser.phone import log_in
from tests.conftest import PATIENCE_MS, reload
from tests.factories import gen_product
from tests.functional.test_roles import place_cash_order
from vendors.models import Member, SelfHelpGroup

SHOTS = Path(os.environ.get("HAAT_SCREENSHOTS") or tempfile.gettempdir())


@pytest.fixture
def laptop(browser, live_server):
    """A fresh laptop-sized tab (1366 x 768) with no cookies."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-IN")
    context.set_default_timeout(PATIENCE_MS)
    yield context.new_page()
    context.close()


def uses_the_width(page: Page) -> None:
    """The page fills a laptop (not a phone column) and nothing spills sideways."""
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert page.locator("main").bounding_box()["width"] >= 1200


def money_on_one_line(page: Page) -> None:
    """Every money cell of the page's tables is one line high."""
    heights = page.eval_on_selector_all(
        "td.num", "cells => cells.filter(c => c.textContent.includes('₹')).map(c => "
        "[c.getClientRects()[0].height, parseFloat(getComputedStyle(c).lineHeight) || 26])")
    assert heights and all(height < 2 * line for height, line in heights), heights


def test_admin_finds_an_order_by_number_and_filters_payments_by_status(laptop: Page, live_server, world, session):
    kurti = gen_product(session, world.shop_a, title="Indigo kurti", price_paise=12_345_67, stock=10)
    variant = kurti.variants[0]
    checkouts = [place_cash_order(session, world, variant, f"laptop-{n}") for n in range(3)]
    received = checkouts[1].orders[0]
    payments.cash_received(session, received, world.member_a.user)
    session.commit()
    wanted = checkouts[0].orders[0]
    log_in(laptop, live_server, world.admin.email)
    laptop.goto(live_server + "/admin/")
    laptop.get_by_role("link", name="Orders, payments and refunds").click()
    expect(laptop.get_by_role("heading", name="Orders across the site")).to_be_visible()
    expect(laptop.locator("tbody tr")).to_have_count(3)
    laptop.get_by_label("Search").fill(wanted.number.lower())
    laptop.get_by_role("button", name="Show").click()
    expect(laptop.locator("tbody tr")).to_have_count(1)
    expect(laptop.locator("tbody tr").first).to_contain_text(wanted.number)
    expect(laptop.locator("tbody tr").first).to_contain_text("₹12,345.67")
    uses_the_width(laptop)
    money_on_one_line(laptop)
    laptop.screenshot(path=str(SHOTS / "admin-orders-1366.png"), full_page=True)

    laptop.get_by_role("link", name="Payments", exact=True).click()
    expect(laptop.locator("tbody tr")).to_have_count(3)
    laptop.get_by_label("Status").select_option(label="paid")
    laptop.get_by_role("button", name="Show").click()
    expect(laptop.locator("tbody tr")).to_have_count(1)
    expect(laptop.locator("tbody tr").first).to_contain_text(received.number)
    uses_the_width(laptop)
    money_on_one_line(laptop)
    laptop.screenshot(path=str(SHOTS / "admin-payments-1366.png"), full_page=True)


def test_admin_reads_the_audit_log_in_hindi_and_downloads_it(laptop: Page, live_server, world, session):
    world.staff_a.name, world.group_a.name = "Asha", "Jyoti SHG"
    for n in range(3):
        session.add(AuditEntry(actor_id=world.staff_a.id, action="view_members", subject_type="self_help_group",
                               subject_id=world.group_a.id, at=datetime(2026, 11, 20 + n, 6, tzinfo=UTC)))
    session.add(AuditEntry(actor_id=world.staff_b.id, action="view_member", subject_type="member",
                           subject_id=world.member_b.id, at=datetime(2026, 11, 25, 6, tzinfo=UTC)))
    session.commit()
    log_in(laptop, live_server, world.admin.email)
    choose_language(laptop, live_server, "hi")
    laptop.goto(live_server + "/admin/audit")
    sentence = "Asha (स्टाफ़) ने Jyoti SHG के सदस्यों की सूची खोली"
    expect(laptop.get_by_text(sentence)).to_have_count(3)
    laptop.locator("#who").select_option(label="Asha (स्टाफ़)")
    laptop.locator("#from").fill("2026-11-21")
    laptop.locator("form.filters button[type=submit]").click()
    expect(laptop.locator("tbody tr")).to_have_count(2)
    uses_the_width(laptop)
    laptop.screenshot(path=str(SHOTS / "admin-audit-hi-1366.png"), full_page=True)
    with laptop.expect_download() as download:
        laptop.get_by_role("link", name="एक्सेल").click()
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()), read_only=True)
    rows = list(book.worksheets[0].values)
    assert len(rows) == 3 and all(sentence == row[2] for row in rows[1:]), rows


def test_staff_upload_the_sample_see_the_preview_confirm_a_duplicate_and_the_members_exist(
        laptop: Page, live_server, world, session, tmp_path):
    log_in(laptop, live_server, world.staff_a.email)
    laptop.goto(live_server + "/staff/onboarding/new")
    with laptop.expect_download() as download:
        laptop.get_by_role("link", name="Download a sample file").click()
    sample = tmp_path / "sample.csv"
    sample.write_bytes(Path(download.value.path()).read_bytes())
    laptop.get_by_label("Groups and members (CSV file)").set_input_files(str(sample))
    laptop.get_by_role("button", name="Check and add members").click()
    expect(laptop.get_by_role("heading", name="Check before adding")).to_be_visible()
    expect(laptop.get_by_text("Members to be added: 3.")).to_be_visible()
    duplicates = laptop.get_by_role("table", name="Possible duplicates")
    expect(duplicates.locator("tbody tr")).to_have_count(2)
    expect(duplicates).to_contain_text("the same name in the same group as row 4")
    expect(duplicates).to_contain_text("the same phone number as row 3: this row will not be added")
    uses_the_width(laptop)
    laptop.screenshot(path=str(SHOTS / "staff-onboarding-preview-1366.png"), full_page=True)
    reload(session)
    assert session.scalar(sa.select(SelfHelpGroup).where(SelfHelpGroup.name == "Sample SHG (practice)")) is None
    laptop.get_by_label("Add anyway (row 5)").check()
    laptop.get_by_role("button", name="Add these members").click()
    expect(laptop.get_by_role("status")).to_contain_text("4 members added, 1 new groups.")
    laptop.get_by_role("link", name="See the groups").click()
    laptop.get_by_role("link", name="Sample SHG (practice)").click()
    expect(laptop.get_by_text("Has not logged in yet")).to_have_count(4)
    reload(session)
    group = session.scalar(sa.select(SelfHelpGroup).where(SelfHelpGroup.name == "Sample SHG (practice)"))
    names = sorted(session.scalars(sa.select(Member.legal_name).where(Member.group_id == group.id)))
    assert names == ["Sample member One", "Sample member Three", "Sample member Three", "Sample member Two"]
