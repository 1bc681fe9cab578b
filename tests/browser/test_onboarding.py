"""Staff add a group's members from a CSV on a laptop; a new member chooses her password on her phone."""

from playwright.sync_api import Browser, Page, expect

from tests.browser.phone import log_in

GOOD = ("group,area,name,phone,trade,shop_name\n"
        "Navi Disha SHG,Ward 4 Pune,Meena Shinde,9812345691,garments,Blue Thread\n"
        "Navi Disha SHG,,Lata More,9812345692,jewellery,\n")
BAD = ("group,area,name,phone,trade,shop_name\n"
       "X SHG,,Rani Pawar,9812345690,food,\n"
       "Navi Disha SHG,Ward 4 Pune,Meena Shinde,9812345691,garments,Meena Tailors\n")


def upload(page: Page, base: str, tmp_path, text: str) -> None:
    csv = tmp_path / "members.csv"
    csv.write_text(text, encoding="utf-8")
    page.goto(base + "/staff/onboarding/new")
    page.get_by_label("Groups and members (CSV file)").set_input_files(str(csv))
    page.get_by_role("button", name="Check and add members").click()


def test_staff_onboard_a_group_and_a_member_sets_her_password(page: Page, browser: Browser, live_server, world,
                                                              tmp_path):
    log_in(page, live_server, world.staff_a.email)
    upload(page, live_server, tmp_path, BAD)
    expect(page.get_by_role("alert")).to_contain_text("Nothing was added")
    expect(page.get_by_text("row 2: the group X SHG is new")).to_be_visible()
    expect(page.get_by_text("row 3: the shop name contains the member's own name")).to_be_visible()

    upload(page, live_server, tmp_path, GOOD)
    expect(page.get_by_text("Members to be added: 2.")).to_be_visible()  # the preview: nothing added yet
    page.get_by_role("button", name="Add these members").click()
    expect(page.get_by_role("status")).to_contain_text("2 members added, 1 new groups.")
    page.get_by_role("link", name="See the groups").click()
    page.get_by_role("link", name="Navi Disha SHG").click()
    expect(page.get_by_text("Has not logged in yet")).to_have_count(2)
    page.get_by_text("Make first-login codes").click()
    page.get_by_role("button", name="Yes, make new codes").click()
    row = page.get_by_role("row").filter(has_text="Lata More")
    code = row.locator("strong.code").inner_text().replace(" ", "")
    assert len(code) == 8 and code.isdigit()

    phone = browser.new_context(**browser.phone, locale="en-IN")
    her = phone.new_page()
    her.goto(live_server + "/welcome")
    her.get_by_label("Your mobile number").fill("98123 45692")
    her.get_by_label("The 8-digit code from your field worker").fill(code)
    her.get_by_label("Choose a password").fill("my garden 2026")
    her.get_by_label("The same password again").fill("my garden 2026")
    her.get_by_role("button", name="Save my password").click()
    expect(her.get_by_role("heading", level=1)).to_contain_text("Namaste, Lata")
    expect(her.get_by_role("link", name="Add a product")).to_be_visible()
    assert her.evaluate("document.documentElement.scrollWidth") <= her.viewport_size["width"]
    phone.close()
