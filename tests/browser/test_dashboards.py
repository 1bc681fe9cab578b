"""Staff open the dashboards on a laptop, drill down a level, see the groups' meeting figures, and download a
table."""

import io
from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from market.core import clock
from market.flows import stall_sale
from tests.browser.phone import LAPTOP, log_in, look
from tests.browser.test_admin_laptop import money_on_one_line, uses_the_width
from tests.factories import gen_member
from vendors.groupfund import services as fund


def test_staff_drill_down_and_download_an_export(page: Page, live_server, world, session):
    stall_sale.record(session, world.shop_a.id, world.member_a.user, 1_250_00, "cash", "browser-sale")
    # Group A's meeting through the book-keeper's service (two of three present), and an internal loan.
    came, away = gen_member(session, world.group_a), gen_member(session, world.group_a)
    fund.record_meeting(session, world.group_a, world.staff_a, clock.today(), [
        fund.RowIn(world.member_a.id, True, 150_00), fund.RowIn(came.id, True, 100_00), fund.RowIn(away.id, False)],
        250_00, "browser-meeting")
    fund.give_loan(session, world.group_a, world.staff_a, came, 200_00, 1200, 3,
                   on=clock.today() - timedelta(days=5))
    session.commit()
    page.set_viewport_size(LAPTOP)  # staff work on a laptop
    log_in(page, live_server, world.staff_a.email)
    page.goto(live_server + "/staff/dashboard/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("svg.chart rect.bar")).to_have_count(12)
    page.get_by_role("link", name="Maharashtra").first.click()
    expect(page.get_by_role("heading", name="Maharashtra")).to_be_visible()
    expect(page.get_by_text("₹1,250.00").first).to_be_visible()
    meetings = page.locator("section.meetings")
    expect(meetings.get_by_role("heading", name="Group meetings and group funds")).to_be_visible()
    expect(meetings.locator("dd").filter(has_text="66.7%")).to_be_visible()  # attendance: 2 of 3
    expect(meetings.locator("dd").filter(has_text="₹250.00")).to_be_visible()  # saved at the meeting
    expect(meetings.locator("dd").filter(has_text="₹200.00").first).to_be_visible()  # the internal loan owed
    expect(meetings.get_by_text("PAR30 (portfolio at risk, 30 days)")).to_be_visible()
    row = page.locator("table.meeting-table tr").filter(has_text=world.org_a.name)
    expect(row.locator("td.num").nth(1)).to_have_text("100.0%")  # regularity: met this month
    uses_the_width(page)
    money_on_one_line(page)
    look(page, "dashboard-state-1366", LAPTOP["width"])
    with page.expect_download() as download:
        page.get_by_role("link", name="Community organisations").last.click()
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert world.org_a.name in content and "1250.00" in content and world.org_b.name not in content
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel: every table of this page").click()
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()), read_only=True)
    assert book.sheetnames == ["Summary", "Income per month", "Top categories", "Community organisations",
                               "Group meetings"]
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
