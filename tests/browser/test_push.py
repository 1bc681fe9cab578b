"""At a cheap phone's width (360 px): a seller who reads Hindi turns on alerts on her account page, a buyer orders on
his phone, the notify worker runs, and the push service received an alert that her phone's keys decrypt to the new
order in Hindi.

Headless Chromium cannot reach Google's push service, so the page's real `PushManager.subscribe()` fails; the page
then takes its subscription from the demo's push service (market.core.fakes.push), which keeps the phone's private
key and decrypts what it receives. Everything else is the page's own flow: the notification permission (granted
here as she would tap "Allow"), the service worker, the subscription sent to the server for her login. The last
hop, the push service handing the message to her browser, is made through Chromium's DevTools protocol
(ServiceWorker.deliverPushMessage): her service worker then shows the notification, read back from the page."""

import json

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from playwright.sync_api import expect

from market.core.money import format_inr
from market.core.notifications import LogSender, deliver_all
from market.core.push import demo_service
from market.core.sms import provider_from_config
from orders.models import Order
from tests.browser.phone import fits, shot, try_log_in
from tests.factories import PASSWORD, gen_product


def test_a_buyers_order_reaches_the_sellers_phone_as_an_alert_in_her_language(phones, live_server, world, session):
    seller = world.member_a.user
    seller.locale = "hi"
    kurti = gen_product(session, world.shop_a, title="Indigo kurti", price_paise=45_000, stock=5)
    session.commit()

    page, his = phones  # hers, and the buyer's on his own phone
    hers = page.context
    hers.grant_permissions(["notifications"], origin=live_server)  # she taps "Allow"
    try_log_in(page, live_server, seller.phone)  # her pages are in Hindi
    page.goto(live_server + "/auth/account#alerts")
    turn_on = page.locator("[data-push-on]")
    expect(turn_on).to_have_text("इस फ़ोन पर सूचनाएँ चालू करें")  # "Turn on alerts on this phone"
    fits(page)
    shot(page, "push-off")
    turn_on.click()
    expect(page.get_by_role("status").first).to_contain_text("इस फ़ोन पर सूचनाएँ चालू हैं")  # "Alerts are on..."
    expect(page.locator("#phone-alerts")).to_contain_text("इस फ़ोन पर सूचनाएँ बंद करें")  # "Turn off alerts..."
    assert page.evaluate("navigator.serviceWorker.getRegistration().then(r => !!(r && r.active))")  # shows them
    fits(page)
    shot(page, "push-on")

    his.goto(f"{live_server}/p/{kurti.id}")
    his.get_by_label("How many").fill("2")
    his.get_by_role("button", name="Add to cart").click()
    his.get_by_role("link", name="Continue to order").click()
    his.get_by_label("Phone number or e-mail").fill(world.buyer.email)
    his.get_by_label("Password").fill(PASSWORD)
    his.get_by_role("button", name="Log in").click()
    his.get_by_label("Cash when you collect or receive it").check()
    his.get_by_role("button", name="Place order").click()
    expect(his.get_by_role("heading", level=1)).to_contain_text("Your order is placed")

    push = demo_service()
    assert push.received() == []  # nothing before the worker runs
    deliver_all(session, LogSender(), provider_from_config())  # the notify worker, once (`make run` runs it)
    deliver_all(session, LogSender(), provider_from_config())  # and again: nothing more
    order = session.scalars(sa.select(Order)).one()
    with force_locale("hi"):
        title = str(_l("New order %(n)s: %(amount)s", n=order.number, amount=format_inr(order.total_paise)))
    [got] = push.received()
    alert = json.loads(got["text"])  # decrypted by the push service with the private key of her phone's subscription
    assert (alert["title"], alert["url"], alert["lang"]) == (title, f"/orders/{order.id}", "hi")
    assert title.startswith("नया ऑर्डर") and got["urgency"] == "high"

    # The last hop, which a real push service makes: the message arrives at her browser, whose service worker
    # shows it. Chromium's DevTools protocol hands the service worker the push event with what was decrypted.
    devtools = hers.new_cdp_session(page)
    registrations: list[dict] = []
    devtools.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    devtools.send("ServiceWorker.enable")
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    for _ in range(100):  # the registrations are reported as an event just after enabling
        if registrations:
            break
        page.wait_for_timeout(50)
    mine = next(r for r in registrations if r["scopeURL"].startswith(live_server) and not r["isDeleted"])
    devtools.send("ServiceWorker.deliverPushMessage",
                  {"origin": live_server, "registrationId": mine["registrationId"], "data": got["text"]})
    shown = []
    for _ in range(100):  # the service worker shows it as the push event ends
        shown = page.evaluate("navigator.serviceWorker.ready.then(r => r.getNotifications())"
                              ".then(all => all.map(n => [n.title, n.lang, n.data.url]))")
        if shown:
            break
        page.wait_for_timeout(50)
    assert shown == [[title, "hi", f"/orders/{order.id}"]]

    page.goto(live_server + "/demo/sms#alerts")  # the demo's phone page shows the alert as her phone reads it
    expect(page.locator(".push-inbox li").first).to_contain_text(title)
    fits(page)
    shot(page, "push-demo-phone")
