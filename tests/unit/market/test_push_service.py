"""The local push service refuses what a real one refuses, each time through pywebpush itself (RFC 8291 encryption,
RFC 8292 VAPID), and decrypts what it accepts with the subscription's own keys."""

import json
import time

import pytest
import requests
from py_vapid import Vapid
from pywebpush import WebPusher, WebPushException, webpush

from market.core.push import Alert, PushError, PushGone, PushUnavailable
from tests.fakes.push import PRIVATE_KEY, SUBJECT, public_key, push_server, sender

OTHER_KEY = "3mFIKuGc7vY-1ccvw4kaxmDgYyE9iqxrWA0XYOPRlm8"  # another VAPID private key (base64url, 32 bytes)


@pytest.fixture
def fake():
    with push_server() as fake:
        yield fake


def push(subscription, data="hello", **changes):
    """pywebpush's one call, with our key and contact; `changes` override its arguments."""
    arguments = {"data": data, "vapid_private_key": Vapid.from_string(PRIVATE_KEY),
                 "vapid_claims": {"sub": SUBJECT}, "ttl": 60, **changes}
    return webpush(subscription, **arguments)


def refusal(call) -> tuple[int, str]:
    with pytest.raises(WebPushException) as caught:
        call()
    return caught.value.status_code, caught.value.response.json()["message"]


def test_what_it_accepts_it_decrypts_with_the_subscription_keys(fake):
    subscription = fake.subscribe(public_key())
    response = push(subscription, "नया ऑर्डर", headers={"Urgency": "high", "Topic": "haat-n1"})
    assert response.status_code == 201 and "/m/" in response.headers["Location"]
    [got] = fake.received(subscription["endpoint"])
    assert (got["text"], got["ttl"], got["urgency"], got["topic"]) == ("नया ऑर्डर", 60, "high", "haat-n1")


def test_a_token_signed_by_another_key_than_k_is_refused(fake):
    subscription = fake.subscribe(public_key())
    headers = Vapid.from_string(OTHER_KEY).sign({"sub": SUBJECT, "aud": fake.url, "exp": int(time.time()) + 3600})
    ours = public_key()
    forged = headers["Authorization"].rsplit("k=", 1)[0] + f"k={ours}"  # our key named, another key's signature
    response = WebPusher(subscription).send("hello", {"Authorization": forged}, ttl=60)
    assert (response.status_code, response.json()["message"]) == (401, "VAPID signature does not verify with k")
    assert fake.received() == []


def test_a_key_other_than_the_subscriptions_application_server_key_is_refused(fake):
    subscription = fake.subscribe(public_key())
    status, message = refusal(lambda: push(subscription, vapid_private_key=Vapid.from_string(OTHER_KEY)))
    assert (status, message) == (403, "k is not the applicationServerKey of this subscription")


def test_a_token_for_another_audience_is_refused(fake):
    subscription = fake.subscribe(public_key())
    status, message = refusal(lambda: push(subscription, vapid_claims={"sub": SUBJECT,
                                                                        "aud": "https://fcm.googleapis.com"}))
    assert (status, message) == (401, f"aud must be {fake.url}")


def test_an_expired_token_is_refused(fake):
    subscription = fake.subscribe(public_key())
    fake.clock = lambda: time.time() + 13 * 3600  # pywebpush signs for 12 hours: 13 hours on, it has expired
    assert refusal(lambda: push(subscription)) == (401, "the VAPID token has expired")


def test_a_token_valid_for_more_than_a_day_is_refused(fake):
    subscription = fake.subscribe(public_key())
    claims = {"sub": SUBJECT, "exp": int(time.time()) + 25 * 3600}
    assert refusal(lambda: push(subscription, vapid_claims=claims)) == (401, "exp more than 24 hours ahead")


def test_a_contact_that_is_not_mailto_or_https_is_refused(fake):
    subscription = fake.subscribe(public_key())
    claims = {"sub": "http://haat.example", "aud": fake.url, "exp": int(time.time()) + 3600}
    lenient = Vapid(Vapid.from_string(PRIVATE_KEY).private_key, conf={"no-strict": True})  # signs any sub
    response = WebPusher(subscription).send("hello", lenient.sign(claims), ttl=60)
    assert (response.status_code, response.json()["message"]) == (401, "sub must be a mailto: or https: contact")


def test_no_ttl_header_is_refused(fake):
    subscription = fake.subscribe(public_key())
    prepared = WebPusher(subscription)._prepare_send_data(
        "hello", Vapid.from_string(PRIVATE_KEY).sign({"sub": SUBJECT, "aud": fake.url}), ttl=60)
    del prepared["headers"]["ttl"]  # pywebpush always sends one: a client that forgets it
    response = requests.post(prepared["endpoint"], data=prepared["data"], headers=prepared["headers"], timeout=30)
    assert (response.status_code, response.json()["message"]) == (400, "TTL header missing or not a number")


def test_the_old_aesgcm_encoding_is_refused(fake):
    subscription = fake.subscribe(public_key())
    status, message = refusal(lambda: push(subscription, content_encoding="aesgcm"))
    assert (status, message) == (415, "Content-Encoding must be aes128gcm")


def test_a_payload_over_4096_bytes_is_refused(fake):
    subscription = fake.subscribe(public_key())
    assert push(subscription, "x" * 3993).status_code == 201  # 3993 + 103 bytes of encryption: 4096
    assert refusal(lambda: push(subscription, "x" * 3994)) == (413, "payload over 4096 bytes")
    assert len(fake.received()) == 1


def test_a_body_for_other_keys_does_not_decrypt(fake):
    subscription = fake.subscribe(public_key())
    someone_else = fake.subscribe(public_key())
    pointed = {**someone_else, "endpoint": subscription["endpoint"]}  # encrypted for the other browser
    status, message = refusal(lambda: push(pointed))
    assert (status, message) == (400, "payload does not decrypt with this subscription's keys")


def test_unknown_and_ended_subscriptions_are_404_and_410(fake):
    subscription = fake.subscribe(public_key())
    unknown = {**subscription, "endpoint": subscription["endpoint"] + "x"}
    assert refusal(lambda: push(unknown)) == (404, "no such subscription")
    fake.end(subscription["endpoint"])
    assert refusal(lambda: push(subscription)) == (410, "subscription has ended")


def test_our_sender_says_gone_refused_or_try_again(fake):
    subscription = fake.subscribe(public_key())
    keys = subscription["keys"]
    alert = Alert("New order", "1 item", "/orders/1", "haat-n1", "en-IN")
    ours = sender()
    ours.send(subscription["endpoint"], keys["p256dh"], keys["auth"], alert, urgency="high", topic="haat-n1")
    assert json.loads(fake.received()[0]["text"])["title"] == "New order"
    fake.fail_next = 1
    with pytest.raises(PushUnavailable):
        ours.send(subscription["endpoint"], keys["p256dh"], keys["auth"], alert)
    with pytest.raises(PushError):
        sender(OTHER_KEY).send(subscription["endpoint"], keys["p256dh"], keys["auth"], alert)
    fake.end(subscription["endpoint"])
    with pytest.raises(PushGone):
        ours.send(subscription["endpoint"], keys["p256dh"], keys["auth"], alert)


def test_a_long_alert_is_shortened_to_fit_but_keeps_its_title():
    alert = Alert("नया ऑर्डर", "बहुत लंबा संदेश " * 400, "/orders/1", "haat-n1", "hi")
    text = alert.payload()
    assert len(text.encode()) <= 3000 and json.loads(text)["title"] == "नया ऑर्डर"
    assert json.loads(text)["body"].endswith("…")
