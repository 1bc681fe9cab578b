"""SMS: the templates, both providers' real HTTP clients against the local fake on 127.0.0.1, and the worker
that sends each notification's SMS at most once, with retries and backoff, in her language, as she chose."""

import logging
import re

import pytest
import requests
import sqlalchemy as sa

from market.core.config import LOCALES
from market.core.db import utcnow
from market.core.notifications import (
    BACKOFF,
    STUCK,
    LogSender,
    Notification,
    OutboxEntry,
    choose_channels,
    deliver_pending,
)
from market.core.sms import TEMPLATES, Sms, SmsError, SmsUnavailable, render, segments
from orders.services import Delivery, cart_for, place_order, set_quantity
from tests.factories import gen_product
from tests.fakes.sms import ENTITY, KEY, SENDER, SID, TEMPLATE_IDS, TOKEN, dlt, dlt_settings, sms_server, twilio

PHONE = "+919812345678"
LONGEST = {"code": "12345678", "n": "H-000000123", "amount": "₹12,34,567.00", "total": "₹12,34,567.00",
           "saving": "₹12,34,567.00", "loan": "₹12,34,567.00"}


@pytest.fixture
def fake(session):
    with sms_server() as served:
        yield served


def test_segments_are_counted_as_phones_count_them():
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2 and segments("a" * 306) == 2
    assert segments("€" * 80) == 1 and segments("€" * 81) == 2  # the extension table takes two septets
    assert segments("न" * 70) == 1 and segments("न" * 71) == 2 and segments("न" * 134) == 2
    assert segments("a" * 69 + "₹") == 1  # one character outside GSM-7 makes the whole message UCS-2
    assert segments("a" * 70 + "₹") == 2


@pytest.mark.parametrize("locale", list(LOCALES))
def test_every_template_fits_two_messages_in_every_language_and_names_nobody(session, locale):
    for name in TEMPLATES:
        text = render(name, locale, LONGEST)
        assert segments(text) <= 2, (locale, name, text)
        assert "Haat" in text or "हाट" in text


def test_the_dlt_client_sends_her_language_with_its_registered_template(session, fake):
    provider = dlt(fake)
    message_id = provider.send(Sms(PHONE, "new_order", "hi", {"n": "H-000123", "amount": "₹450.00"}, "haat-n1-sms"))
    [got] = fake.messages(PHONE)
    assert got["sid"] == message_id and got["reference"] == "haat-n1-sms"
    assert got["template_id"] == TEMPLATE_IDS["new_order:hi"] and got["unicode"]
    assert "H-000123" in got["body"] and got["body"] == render("new_order", "hi", {"n": "H-000123",
                                                                                     "amount": "₹450.00"})


def test_the_fake_dlt_gateway_refuses_what_the_operators_refuse(session, fake):
    sms = Sms(PHONE, "reset_code", None, {"code": "123456"}, "r1")
    for provider, reason in [
        (dlt(fake, api_token="wrong"), "Authentication"),
        (dlt(fake, sender="OTHERS"), "Sender id"),
        (dlt(fake, entity_id="1101000000000000999"), "DltEntityId"),
        (dlt(fake, template_ids={**TEMPLATE_IDS, "reset_code": "1107999999999999999"}), "not registered"),
        (dlt(fake, template_ids={**TEMPLATE_IDS, "reset_code": TEMPLATE_IDS["new_order"]}), "does not match"),
    ]:
        with pytest.raises(SmsError, match=reason):
            provider.send(sms)
    url = f"{fake.url}/v1/Accounts/{SID}/Sms/send.json"
    form = {"From": SENDER, "To": PHONE, "DltEntityId": ENTITY, "DltTemplateId": TEMPLATE_IDS["reset_code:hi"],
            "Body": render("reset_code", "hi", {"code": "123456"}), "EncodingType": "plain"}
    answer = requests.post(url, auth=(KEY, TOKEN), data=form, timeout=5)
    assert answer.status_code == 400 and "unicode" in answer.json()["RestException"]["Message"]
    too_long = {**form, "EncodingType": "unicode", "Body": form["Body"].replace("123456", "1" * 31)}
    assert requests.post(url, auth=(KEY, TOKEN), data=too_long, timeout=5).status_code == 400  # {#var#} <= 30
    assert fake.messages() == []


def test_the_twilio_client_sends_and_is_refused_as_twilio_refuses(session, fake):
    sid = twilio(fake).send(Sms("+447700900123", "reset_code", "ta", {"code": "654321"}, "r2"))
    [got] = fake.messages("+447700900123")
    assert sid.startswith("SM") and got["sid"] == sid and "654321" in got["body"]
    with pytest.raises(SmsError, match="Authenticate"):
        twilio(fake, token="wrong").send(Sms("+447700900123", "reset_code", None, {"code": "1"}, "r3"))
    with pytest.raises(SmsError, match="not a valid phone number"):
        twilio(fake).send(Sms("07700900123", "reset_code", None, {"code": "1"}, "r4"))


def test_an_outage_is_unavailable_not_refused(session):
    with sms_server(fail_next=1) as fake, pytest.raises(SmsUnavailable):
        dlt(fake).send(Sms(PHONE, "reset_code", None, {"code": "123456"}, "r5"))
    with sms_server() as fake:
        fake.url = "http://127.0.0.1:9"  # nothing listens there
        with pytest.raises(SmsUnavailable):
            dlt(fake).send(Sms(PHONE, "reset_code", None, {"code": "123456"}, "r6"))


def place(session, world, title="Indigo kurti"):
    product = gen_product(session, world.shop_a, title=title, price_paise=45_000, stock=5)
    cart = cart_for(session, world.buyer, None, create=True)
    set_quantity(session, cart, product.variants[0].id, 1)
    checkout = place_order(session, world.buyer, cart, f"key-{title}", Delivery({world.shop_a.id: "pickup"}),
                           45_000)
    session.commit()
    return checkout.orders[0]


def test_a_new_order_reaches_the_sellers_phone_in_her_language_once(session, world, fake, caplog):
    seller = world.member_a.user
    seller.locale = "ta"
    session.commit()
    order = place(session, world)
    caplog.set_level(logging.DEBUG)
    assert deliver_pending(session, LogSender(), dlt(fake)) == 1
    assert deliver_pending(session, LogSender(), dlt(fake)) == 0  # a second round sends nothing again
    [got] = fake.messages(seller.phone)
    assert got["body"] == render("new_order", "ta", {"n": order.number, "amount": "₹450.00"})
    assert got["template_id"] == TEMPLATE_IDS["new_order:ta"]
    assert "Indigo" not in got["body"] and seller.name not in got["body"]  # no goods, no names: just the order
    text = caplog.text
    assert seller.phone not in text and seller.phone[3:] not in text


def test_she_chooses_which_events_come_by_sms(session, world, fake):
    seller = world.member_a.user
    choose_channels(session, seller, {"new_order": set(), "message": {"sms"}})
    session.commit()
    place(session, world)
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxEntry)) == 0  # in-app only now
    assert session.scalar(sa.select(sa.func.count()).select_from(Notification)
                          .where(Notification.user_id == seller.id)) == 1


def test_a_failed_sms_is_tried_again_after_a_wait_and_sent_once(session, world):
    place(session, world)
    with sms_server(fail_next=1) as fake:
        assert deliver_pending(session, LogSender(), dlt(fake)) == 0
        entry = session.scalar(sa.select(OutboxEntry).where(OutboxEntry.channel == "sms"))
        assert entry.state == "pending" and entry.attempts == 1 and entry.next_at > utcnow()
        assert deliver_pending(session, LogSender(), dlt(fake)) == 0  # not yet: backing off
        assert fake.requests == 1
        entry.next_at = utcnow() - BACKOFF
        session.commit()
        assert deliver_pending(session, LogSender(), dlt(fake)) == 1
        assert len(fake.messages()) == 1


def test_a_refused_sms_is_not_tried_again(session, world, fake):
    place(session, world)
    assert deliver_pending(session, LogSender(), dlt(fake, sender="OTHERS")) == 0
    entry = session.scalar(sa.select(OutboxEntry).where(OutboxEntry.channel == "sms"))
    assert entry.state == "failed" and entry.attempts == 1


def test_a_worker_that_died_mid_send_never_sends_twice(session, world, fake):
    place(session, world)
    entry = session.scalar(sa.select(OutboxEntry).where(OutboxEntry.channel == "sms"))
    entry.state, entry.claimed_at = "sending", utcnow() - STUCK * 2  # claimed, then the worker was killed
    session.commit()
    deliver_pending(session, LogSender(), dlt(fake))
    session.refresh(entry)
    assert entry.state == "failed" and fake.messages() == []


def test_her_account_page_keeps_her_choice_of_channels(client, session, world):
    from tests.conftest import login, reload

    seller = world.member_a.user
    login(client, seller.phone)
    page = client.get("/auth/account").get_data(as_text=True)
    assert 'name="new_order-sms" value="y" checked' in page and 'name="payment_received-sms" value="y" checked' in page
    assert "-email" not in page  # she has no e-mail address: no e-mail boxes
    assert "message-sms" not in page  # no SMS is written for messages: no box that would do nothing
    assert client.post("/auth/account/alerts", data={"payment_received-sms": "y"}).status_code == 302
    reload(session)
    from market.core.notifications import chosen_channels

    chosen = chosen_channels(session, seller)
    assert chosen["payment_received"] == {"sms"} and chosen["new_order"] == set()


def test_the_demo_phone_shows_what_the_demo_provider_received(client, session):
    from market.core.notifications import deliver_all
    from market.core.sms import provider_from_config
    from tests.conftest import reload

    client.post("/auth/signup", data={"name": "Asha", "login": "98765 43210", "password": "mango tree by the well",
                                      "confirm": "mango tree by the well", "role": "buyer"})
    reload(session)
    deliver_all(session, LogSender(), provider_from_config())  # the worker, once: the app's demo provider
    page = client.get("/demo/sms").get_data(as_text=True)
    assert "…3210" in page and "+919876543210" not in page
    assert re.search(r"\b\d{8}\b", page)  # the sign-up code, sent through the worker to the demo provider


def test_the_demo_phone_does_not_exist_with_a_real_provider(make_app, session):
    with sms_server() as fake:
        app = make_app(**dlt_settings(fake))
        assert app.test_client().get("/demo/sms").status_code == 404
