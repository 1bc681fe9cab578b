"""At a cheap phone's width (360 px): a seller logs in with the code the demo's phone received, no password."""


from playwright.sync_api import expect

from tests.browser.phone import fits, shot
from tests.browser.test_sms import code_on_demo_phone
from tests.factories import gen_member


def test_a_seller_logs_in_with_a_code_by_sms(phone_context, live_server, session):
    member = gen_member(session, login="98123 45670")
    session.commit()
    page = phone_context.new_page()
    page.goto(live_server + "/auth/login")
    page.get_by_role("link", name="Log in with a code by SMS instead").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in with a code")
    fits(page)
    page.get_by_label("Your phone number").fill("98123 45670")
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_label("The 6-digit code we sent you")).to_be_visible()
    fits(page)
    shot(page, "login-code")
    page.get_by_label("The 6-digit code we sent you").fill(code_on_demo_phone(phone_context, live_server, 6, session))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="My shop")).to_be_visible()
    assert page.url.endswith("/seller/")
    assert member.user.phone == "+919812345670"
