"""A person signs up, logs out, logs in, and is refused with a wrong password, on a phone."""

from playwright.sync_api import Page, expect

from tests.conftest import code_sent_to
from tests.factories import PASSWORD, gen_user


def test_sign_up_log_out_and_log_in_again(page: Page, live_server, session):
    page.goto(live_server + "/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Your name").fill("Asha")
    page.get_by_label("Phone number or e-mail").fill("98123 45678")
    page.get_by_label("Password", exact=True).fill("my-good-pass")
    page.get_by_label("Password again").fill("my-good-pass")
    page.get_by_text("Buy in bulk for my shop or business").click()
    page.get_by_text("Buying wholesale? Tell us about your business").click()
    page.get_by_label("Your shop or business name (wholesale only)").fill("Asha General Stores")
    page.get_by_role("button", name="Make my account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    page.get_by_label("The 8-digit code we sent you").fill(code_sent_to(session, "+919812345678"))
    page.get_by_role("button", name="Finish my account").click()
    expect(page.get_by_role("status")).to_contain_text("Welcome to Haat")

    page.get_by_role("link", name="Account", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Asha")
    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("You have logged out")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()

    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Phone number or e-mail").fill("+919812345678")
    page.get_by_label("Password").fill("my-good-pass")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Account", exact=True).click()
    expect(page.get_by_text("You log in with +919812345678")).to_be_visible()


def test_wrong_password_is_refused(page: Page, live_server, session):
    user = gen_user(session, login="asha@example.org")
    session.commit()
    page.goto(live_server + "/auth/login")
    page.get_by_label("Phone number or e-mail").fill(user.email)
    page.get_by_label("Password").fill("not-" + PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    expect(page).to_have_url(live_server + "/auth/login")
    expect(page.get_by_role("link", name="Account", exact=True)).to_have_count(0)


def test_the_layout_fits_a_phone(page: Page, live_server):
    page.goto(live_server + "/auth/signup")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], "the page scrolls sideways on a phone"
    # Radio buttons are tapped through their whole label, so the label is the target.
    targets = page.locator("input:visible:not([type=radio]):not([type=checkbox]), button:visible, label.choice")
    assert targets.count() >= 7
    for target in targets.all():
        assert target.bounding_box()["height"] >= 44, "tap targets must be big enough for a thumb"
