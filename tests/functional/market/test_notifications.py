"""Notifications: written with what they tell about, shown in the app, e-mailed by the worker."""

import logging

import sqlalchemy as sa

from market.core.db import utcnow
from market.core.notifications import BACKOFF, Notification, OutboxEntry, deliver_pending, notify
from market.core.sms import provider_from_config
from market.flows.order_moves import move
from orders.services import Delivery, cart_for, place_order, set_quantity
from orders.status import Actor, OrderStatus
from tests.conftest import login, reload
from tests.factories import gen_product


class RecordingSender:
    def __init__(self, fail_for: str | None = None):
        self.sent, self.fail_for = [], fail_for

    def send(self, to, subject, body, reference):
        if to == self.fail_for:
            raise OSError("mail server down")
        self.sent.append((to, subject))


def order_for(session, world):
    product = gen_product(session, world.shop_a, title="Indigo kurti", stock=5)
    cart = cart_for(session, world.buyer, None, create=True)
    set_quantity(session, cart, product.variants[0].id, 1)
    checkout = place_order(session, world.buyer, cart, "n1", Delivery({world.shop_a.id: "pickup"}), 45_000)
    session.commit()
    return checkout.orders[0]


def test_the_seller_hears_of_a_new_order_and_the_buyer_of_each_step(session, world):
    order = order_for(session, world)
    seller = world.member_a.user
    note = session.scalar(sa.select(Notification).where(Notification.user_id == seller.id))
    assert note.subject == f"New order {order.number}: ₹450.00" and note.link == f"/orders/{order.id}"
    move(session, order, OrderStatus.CONFIRMED, seller, Actor.SELLER)
    session.commit()
    to_buyer = session.scalar(sa.select(Notification).where(Notification.user_id == world.buyer.id))
    assert to_buyer.subject == f"Order {order.number} is now: accepted"


def test_notifications_are_written_in_the_recipients_language(session, world):
    world.member_a.user.locale = "hi"
    session.commit()
    order_for(session, world)
    note = session.scalar(sa.select(Notification).where(Notification.user_id == world.member_a.user_id))
    assert note.subject  # Hindi catalogues come with the languages work; until then Babel falls back


def test_a_rolled_back_order_leaves_no_notification(session, world):
    product = gen_product(session, world.shop_a, stock=5)
    session.commit()
    cart = cart_for(session, world.buyer, None, create=True)
    set_quantity(session, cart, product.variants[0].id, 1)
    place_order(session, world.buyer, cart, "n2", Delivery({world.shop_a.id: "pickup"}), 45_000)
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_the_worker_emails_accounts_with_an_address_and_retries_failures(app, session, world, caplog):
    sms = provider_from_config(app)  # the demo's: the seller's new-order SMS goes there
    order = order_for(session, world)
    move(session, order, OrderStatus.CONFIRMED, world.member_a.user, Actor.SELLER)
    session.commit()
    caplog.set_level(logging.INFO)
    with app.app_context():
        deliver_pending(session, RecordingSender(fail_for=world.buyer.email), sms)
        states = dict(session.execute(sa.select(Notification.user_id, OutboxEntry.state)
                                      .join(OutboxEntry, OutboxEntry.notification_id == Notification.id)
                                      .where(OutboxEntry.channel == "email")).all())
        assert world.member_a.user_id not in states  # her login is a phone number: no e-mail to send
        assert states[world.buyer.id] == "pending"  # failed once: tried again after a wait
        session.execute(sa.update(OutboxEntry).values(next_at=utcnow() - BACKOFF))  # the wait is over
        session.commit()
        sender = RecordingSender()
        assert deliver_pending(session, sender, sms) == 1
    assert sender.sent == [(world.buyer.email, f"Order {order.number} is now: accepted")]
    assert world.buyer.email not in caplog.text


def test_the_bell_shows_unread_and_marking_them_read_is_a_post(client, session, world):
    order = order_for(session, world)
    login(client, world.member_a.user.phone)
    assert 'class="count">1<' in client.get("/seller/").text
    page = client.get("/auth/notifications").text
    assert f"New order {order.number}" in page and "Mark all as read" in page
    assert 'class="count">1<' in client.get("/seller/").text  # opening the page changed nothing
    reload(session)
    assert session.scalar(sa.select(Notification.read_at)) is None
    shown = session.scalar(sa.select(Notification.id))
    notify(session, [world.member_a.user], "A message about your order")  # after the page was shown: stays new
    session.commit()
    response = client.post("/auth/notifications/read", data={"upto": shown})
    assert response.status_code == 302 and response.headers["Location"] == "/auth/notifications"
    page = client.get("/auth/notifications").text
    assert 'class="count">1<' in page and "A message about your order" in page
    reload(session)
    assert session.scalar(sa.select(Notification.read_at).where(Notification.id == shown)) is not None
