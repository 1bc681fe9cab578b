"""Alerts on her phone (web push): turned on from her account page for this login, sent by the notify worker through
pywebpush to the local push service, which decrypts them with the phone's keys. At most once per phone; a phone
whose subscription has ended is forgotten; an outage is tried again after a wait."""

import json
import logging

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from market.core.db import utcnow
from market.core.money import format_inr
from market.core.notifications import BACKOFF, STUCK, OutboxEntry, PushSubscription, deliver_pending, notify
from market.core.push import SubscriptionRefused, check_subscription
from market.core.sms import provider_from_config
from market.flows.order_moves import move
from orders.status import Actor, OrderStatus
from tests.conftest import login, reload
from tests.fakes.push import push_server, sender
from tests.functional.market.test_notifications import RecordingSender, order_for


@pytest.fixture
def fake():
    with push_server() as fake:
        yield fake


def turn_on(client, app, fake) -> dict:
    """What her phone's browser does on 'Turn on alerts on this phone': a subscription for the server's key, sent."""
    subscription = fake.subscribe(app.config["VAPID_PUBLIC_KEY"])
    response = client.post("/auth/account/phone-alerts", json=subscription)
    assert response.status_code == 200, response.text
    return subscription


def deliver(app, session, push):
    with app.app_context():
        return deliver_pending(session, RecordingSender(), provider_from_config(app), push=push)


def alerts(fake, subscription) -> list[dict]:
    return [json.loads(m["text"]) for m in fake.received(subscription["endpoint"])]


def test_she_turns_alerts_on_for_this_phone_and_a_new_order_reaches_it_once_in_her_language(
        app, client, session, world, fake):
    seller = world.member_a.user
    seller.locale = "hi"
    session.commit()
    login(client, seller.phone)
    assert "data-push-on" in client.get("/auth/account").text  # the page offers to turn them on (in Hindi)
    subscription = turn_on(client, app, fake)
    assert "इस फ़ोन पर सूचनाएँ चालू हैं" in client.get("/auth/account").text  # "Alerts are on for this phone."
    order = order_for(session, world)
    push = sender()
    assert deliver(app, session, push) >= 1
    assert deliver(app, session, push) == 0  # run again: nothing more
    with app.test_request_context(), force_locale("hi"):
        title = str(_l("New order %(n)s: %(amount)s", n=order.number, amount=format_inr(order.total_paise)))
    assert title.startswith("नया")  # her language, not English
    [alert] = alerts(fake, subscription)
    assert alert["title"] == title and alert["url"] == f"/orders/{order.id}" and alert["lang"] == "hi"
    [got] = fake.received(subscription["endpoint"])
    assert got["urgency"] == "high" and got["ttl"] == 24 * 3600


def test_the_buyer_hears_of_his_orders_moves(app, client, session, world, fake):
    login(client, world.buyer.email)
    subscription = turn_on(client, app, fake)
    order = order_for(session, world)
    move(session, order, OrderStatus.CONFIRMED, world.member_a.user, Actor.SELLER)
    session.commit()
    deliver(app, session, sender())
    [alert] = alerts(fake, subscription)
    assert alert["title"] == f"Order {order.number} is now: accepted"
    assert fake.received()[0]["urgency"] == "normal"


def test_a_crash_between_sending_and_recording_sends_nothing_again(app, client, session, world, fake):
    """At most once: the delivery is claimed before the call; a worker that dies after the push service took it and
    before the row was marked leaves it 'sending', and after STUCK it is marked failed, not sent again."""

    class DiesAfterSending:
        def __init__(self, real):
            self.real = real

        def send(self, *args, **kwargs):
            self.real.send(*args, **kwargs)
            raise SystemExit("worker killed")

    login(client, world.member_a.user.phone)
    subscription = turn_on(client, app, fake)
    order_for(session, world)
    with pytest.raises(SystemExit):
        deliver(app, session, DiesAfterSending(sender()))
    session.rollback()
    assert len(fake.received(subscription["endpoint"])) == 1
    push_row = sa.select(OutboxEntry).where(OutboxEntry.channel == "push")
    assert session.scalar(push_row).state == "sending"
    deliver(app, session, sender())  # another worker, at once: the claimed row is not taken
    session.execute(sa.update(OutboxEntry).where(OutboxEntry.channel == "push")
                    .values(claimed_at=utcnow() - STUCK - BACKOFF))  # ... and after STUCK
    session.commit()
    deliver(app, session, sender())
    assert session.scalar(push_row).state == "failed"
    assert len(fake.received(subscription["endpoint"])) == 1


def test_a_phone_whose_subscription_ended_is_forgotten(app, client, session, world, fake, caplog):
    login(client, world.member_a.user.phone)
    subscription = turn_on(client, app, fake)
    fake.end(subscription["endpoint"])  # she cleared the browser's data: the push service answers 410
    order_for(session, world)
    caplog.set_level(logging.INFO)
    deliver(app, session, sender())
    assert session.scalar(sa.select(OutboxEntry.state).where(OutboxEntry.channel == "push")) == "skipped"
    assert session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 0
    ours = " ".join(r.getMessage() for r in caplog.records if r.name == "market")
    assert "forgotten" in ours and subscription["endpoint"].rsplit("/", 1)[1] not in ours  # it reaches her phone
    notify(session, [world.member_a.user], "Another order", kind="new_order")  # the next: no push delivery at all
    session.commit()
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxEntry)
                          .where(OutboxEntry.channel == "push")) == 1


def test_an_outage_is_tried_again_after_a_wait(app, client, session, world, fake):
    login(client, world.member_a.user.phone)
    subscription = turn_on(client, app, fake)
    order_for(session, world)
    fake.fail_next = 1  # 503
    push = sender()
    deliver(app, session, push)
    row = session.scalar(sa.select(OutboxEntry).where(OutboxEntry.channel == "push"))
    assert (row.state, row.attempts) == ("pending", 1) and row.next_at >= utcnow() + BACKOFF * 0.9
    requests_before = fake.requests
    deliver(app, session, push)  # too soon: not tried
    assert fake.requests == requests_before
    session.execute(sa.update(OutboxEntry).values(next_at=utcnow() - BACKOFF))  # the wait is over
    session.commit()
    deliver(app, session, push)
    session.refresh(row)
    assert (row.state, row.attempts) == ("sent", 2)
    assert len(alerts(fake, subscription)) == 1


def test_logging_out_ends_the_alerts_on_that_phone(app, client, session, world, fake):
    login(client, world.member_a.user.phone)
    turn_on(client, app, fake)
    client.post("/auth/logout")
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 0
    order_for(session, world)
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxEntry)
                          .where(OutboxEntry.channel == "push")) == 0


def test_turning_alerts_off_and_her_choice_of_events(app, client, session, world, fake):
    login(client, world.member_a.user.phone)
    turn_on(client, app, fake)
    response = client.post("/auth/account/phone-alerts/off")
    assert response.status_code == 302
    assert "Turn on alerts on this phone" in client.get("/auth/account").text
    turn_on(client, app, fake)
    client.post("/auth/account/alerts", data={"new_order-sms": "y"})  # new orders by SMS only, no push
    order_for(session, world)
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxEntry)
                          .where(OutboxEntry.channel == "push")) == 0


def test_a_subscription_that_is_not_one_is_refused(app, client, world, fake):
    login(client, world.member_a.user.phone)
    subscription = fake.subscribe(app.config["VAPID_PUBLIC_KEY"])
    bad = {**subscription, "keys": {**subscription["keys"], "auth": "c2hvcnQ"}}
    response = client.post("/auth/account/phone-alerts", json=bad)
    assert response.status_code == 400 and "could not turn alerts on" in response.json["message"]
    assert client.post("/auth/account/phone-alerts", data="not json").status_code == 400


@pytest.mark.parametrize("endpoint", ["http://fcm.googleapis.com/fcm/send/x", "https://127.0.0.1/push/x",
                                      "https://internal.example/push/x"])
def test_production_takes_only_https_endpoints_of_the_push_services(fake, endpoint):
    subscription = {**fake.subscribe("k"), "endpoint": endpoint}
    with pytest.raises(SubscriptionRefused):
        check_subscription(subscription, production=True)
    good = {**subscription, "endpoint": "https://fcm.googleapis.com/fcm/send/abc"}
    assert check_subscription(good, production=True)[0] == good["endpoint"]


def test_a_shared_phone_turned_over_to_another_account_gets_none_of_the_first_ones_alerts(
        app, make_app, client, session, world, fake):
    login(client, world.member_a.user.phone)
    subscription = turn_on(client, app, fake)
    order_for(session, world)  # her alert waits in the outbox; the phone changes hands without a logout ...
    other = make_app().test_client()
    login(other, world.buyer.email)
    assert other.post("/auth/account/phone-alerts", json=subscription).status_code == 200  # same browser endpoint
    reload(session)
    deliver(app, session, sender())
    assert alerts(fake, subscription) == []  # ... and is not sent to the phone the buyer now holds
