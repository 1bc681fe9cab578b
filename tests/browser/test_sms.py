"""At a cheap phone's width (360 px): a forgotten password reset by a code read off the demo's phone page, and a
phone sign-up finished the same way. The codes travel through the notify worker and the demo SMS provider."""

import re

from playwright.sync_api import expect

from market.core.notifications import LogSender, deliver_all
from market.core.sms import provider_from_config
from tests.browser.phone import fits, shot
from tests.factories import gen_user

NEW = "mango tree by the old well"


def code_on_demo_phone(context, live_server: str, digits: int, session) -> str:
    """Run the notify worker once (as `make run` does every 2 seconds), then open the demo's phone page in another
    tab and read the newest code on it."""
    deliver_all(session, LogSender(), provider_from_config())  # the live server's demo provider: one inbox file
    tab = context.new_page()
    tab.goto(live_server + "/demo/sms")
    newest = tab.locator(".sms-inbox li").first.inner_text()
    shot(tab, "demo-sms")
    tab.close()
    return re.search(rf"\b(\d{{{digits}}})\b", newest).group(1)


def test_forgot_password_by_a_code_on_her_phone(phone_context, live_server, session):
    user = gen_user(session, login="98123 45678", name="Asha")
    session.commit()
    page = phone_context.new_page()
    page.goto(live_server + "/auth/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgot your password?")  # the new page, not the old
    fits(page)
    page.get_by_label("Phone number or e-mail").fill("098123 45678")
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    fits(page)
    page.get_by_label("The 6-digit code we sent you").fill(code_on_demo_phone(phone_context, live_server, 6, session))
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("New password again").fill(NEW)
    shot(page, "reset")
    page.get_by_role("button", name="Save my new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your new password is saved")
    page.get_by_role("link", name="Account", exact=True).click()
    expect(page.get_by_text(f"You log in with {user.phone}")).to_be_visible()
    fits(page)
    shot(page, "account")


def test_a_phone_sign_up_with_the_code_from_the_demo_phone(phone_context, live_server, session):
    page = phone_context.new_page()
    page.goto(live_server + "/auth/signup")
    page.get_by_label("Your name").fill("Meena")
    page.get_by_label("Phone number or e-mail").fill("98765 43210")
    page.get_by_label("Password", exact=True).fill(NEW)
    page.get_by_label("Password again").fill(NEW)
    page.get_by_role("button", name="Make my account").click()
    page.get_by_label("The 8-digit code we sent you").fill(code_on_demo_phone(phone_context, live_server, 8, session))
    page.get_by_role("button", name="Finish my account").click()
    expect(page.get_by_role("status")).to_contain_text("Welcome to Haat")
