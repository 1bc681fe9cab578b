"""Staff open the dashboards, drill down a level, and download a table."""

import io
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from market.flows import stall_sale
from tests.browser.phone import log_in


def test_staff_drill_down_and_download_an_export(page: Page, live_server, world, session):
    stall_sale.record(session, world.shop_a.id, world.member_a.user, 1_250_00, "cash", "browser-sale")
    session.commit()
    log_in(page, live_server, world.staff_a.email)
    page.goto(live_server + "/staff/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("svg.chart rect.bar")).to_have_count(12)
    page.get_by_role("link", name="Maharashtra").click()
    expect(page.get_by_role("heading", name="Maharashtra")).to_be_visible()
    expect(page.get_by_text("₹1,250.00").first).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Community organisations").click()
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert world.org_a.name in content and "1250.00" in content and world.org_b.name not in content
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel: every table of this page").click()
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()), read_only=True)
    assert book.sheetnames == ["Summary", "Income per month", "Top categories", "Community organisations"]
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
