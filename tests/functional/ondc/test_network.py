"""Haat as a seller app on the (local, fake) ONDC network: every message answered ACK or NACK at once, logged once,
and its signed callback sent afterwards within its TTL, retried while the buyer app is down."""

import json
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from market.core import beckn
from market.core.fakes.ondc import BAP_ID, BAP_KEY_ID, expired_window
from market.ondc import network, worker
from market.ondc.models import REDACTED, OndcMessage
from tests.conftest import reload
from tests.fakes.ondc import HAAT_URL, ondc_network, search_message


@pytest.fixture
def fake(app):
    with ondc_network(app) as served:
        yield served


def search(fake, **changes):
    haat = fake.seller("haat.demo")
    context = fake.context("search", **changes)
    return context, fake.send(f"{haat.subscriber_url}/search", context, search_message())


def rows(session):
    reload(session)
    return session.scalars(sa.select(OndcMessage).order_by(OndcMessage.id)).all()


def test_a_search_is_acked_then_answered_by_a_signed_on_search(fake, session):
    context, answer = search(fake)
    assert answer.status_code == 200 and answer.json() == {"message": {"ack": {"status": "ACK"}}}
    [callback] = fake.callbacks("on_search")
    assert callback["signed_by"] == "haat.demo|haat-demo-1"  # verified by the buyer app at the registry's key
    assert callback["context"]["message_id"] == context["message_id"]
    assert callback["context"]["transaction_id"] == context["transaction_id"]
    assert callback["context"]["bpp_id"] == "haat.demo" and callback["context"]["bpp_uri"] == f"{HAAT_URL}/ondc"
    assert "catalog" in callback["message"]
    [row] = rows(session)
    assert (row.action, row.state, row.attempts, row.bap_id) == ("search", "sent", 1, BAP_ID)
    assert row.payload is None  # the whole message is gone once answered; the redacted copy stays
    kept = json.loads(row.request)["message"]["intent"]["fulfillment"]["end"]["location"]
    assert kept == {"gps": REDACTED, "address": {"area_code": REDACTED}}


def test_a_search_through_the_gateway_carries_both_signatures(fake, session):
    context = fake.context("search")
    answer = fake.send(f"{fake.base_url}/gateway/search", context, search_message())
    assert answer.json()["message"]["ack"]["status"] == "ACK"
    assert len(fake.callbacks("on_search", context["message_id"])) == 1
    [row] = rows(session)
    assert row.signed_by == "buyer.demo|buyer-demo-1 via gateway.demo|gateway-demo-1"


def test_a_repeated_message_is_acked_and_answered_once(fake, session):
    context = fake.context("search")
    url = f"{HAAT_URL}/ondc/search"
    for _ in range(3):
        assert fake.send(url, context, search_message()).json()["message"]["ack"]["status"] == "ACK"
    assert len(fake.callbacks("on_search")) == 1
    assert len(rows(session)) == 1


def nacked(answer, status, code):
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["message"] == {"ack": {"status": "NACK"}} and body["error"]["code"] == code
    return body["error"]


def test_a_forged_signature_is_refused_with_401(fake, session):
    context = fake.context("search")
    signed_body = beckn.dumps({"context": context, "message": search_message()})
    changed = signed_body.replace(b"Foodgrains", b"Jewellery")
    header = beckn.authorization(signed_body, BAP_ID, BAP_KEY_ID, fake.bap_key)
    answer = fake.send(f"{HAAT_URL}/ondc/search", context, {}, body=changed, authorization=header)
    assert "does not match" in nacked(answer, 401, "30016")["message"]
    stranger = beckn.SigningKey.from_seed(beckn.demo_seed("signing", "stranger"))
    answer = fake.send(f"{HAAT_URL}/ondc/search", context, {}, body=signed_body,
                       authorization=beckn.authorization(signed_body, BAP_ID, BAP_KEY_ID, stranger))
    nacked(answer, 401, "30016")
    assert rows(session) == [] and fake.callbacks() == []


def test_an_expired_signature_and_a_stale_message_are_refused(fake, session):
    created, expires = expired_window()
    context = fake.context("search")
    answer = fake.send(f"{HAAT_URL}/ondc/search", context, search_message(), created=created, expires=expires)
    assert "expired" in nacked(answer, 401, "30016")["message"]
    old = beckn.format_timestamp(beckn.parse_timestamp(context["timestamp"]) - timedelta(minutes=5))
    answer = fake.send(f"{HAAT_URL}/ondc/search", fake.context("search", timestamp=old, ttl="PT30S"),
                       search_message())
    nacked(answer, 400, "30022")
    assert rows(session) == [] and fake.callbacks() == []


@pytest.mark.parametrize(("changes", "status", "path"), [
    ({"core_version": "1.1.0"}, 400, "context.core_version"),
    ({"domain": "ONDC:RET99"}, 400, "context.domain"),
    ({"bap_uri": "https://elsewhere.example/bap"}, 400, "context.bap_uri"),
    ({"bpp_id": "another.seller"}, 400, "context.bpp_id"),
    ({"message_id": ""}, 400, "context.message_id"),
    ({"ttl": "thirty seconds"}, 400, "context.ttl"),
    ({"action": "select"}, 400, "context.action"),
    ({"location": {"city": {"code": "std:080"}, "country": {"code": "USA"}}}, 400, "context.location"),
])
def test_a_context_we_cannot_answer_is_refused(fake, session, changes, status, path):
    context = {**fake.context("search"), **changes}
    error = nacked(fake.send(f"{HAAT_URL}/ondc/search", context, search_message()), status, "30000")
    assert error["path"] == path
    assert rows(session) == []


def test_a_bap_id_that_is_not_the_signer_is_refused(fake):
    context = fake.context("search", bap_id="someone.else")
    nacked(fake.send(f"{HAAT_URL}/ondc/search", context, search_message()), 401, "30016")


def test_an_action_not_implemented_yet_is_refused_at_once(fake, session):
    for action in ("select", "confirm", "issue"):
        answer = fake.send(f"{HAAT_URL}/ondc/{action}", fake.context(action), {"order": {}})
        assert nacked(answer, 400, "40001")["type"] == "DOMAIN-ERROR"
    assert rows(session) == []


def test_a_buyer_app_that_is_down_gets_its_callback_later(fake, session, app):
    fake.fail_next = 1
    context, answer = search(fake)
    assert answer.json()["message"]["ack"]["status"] == "ACK"
    assert fake.callbacks() == []
    [row] = rows(session)
    assert (row.state, row.attempts) == ("pending", 1) and "503" in row.problem
    net = network.network(app)
    assert worker.send_due(session, net, now=row.next_at - timedelta(milliseconds=1)) == {"expired": 0}
    assert worker.send_due(session, net, now=row.next_at) == {"expired": 0, "sent": 1}
    assert len(fake.callbacks("on_search", context["message_id"])) == 1
    [row] = rows(session)
    assert (row.state, row.attempts, row.payload) == ("sent", 2, None)


def test_a_callback_past_its_ttl_is_dropped(fake, session, app):
    fake.fail_next = 1
    search(fake, ttl="PT30S")
    [row] = rows(session)
    assert worker.send_due(session, network.network(app), now=row.expires_at + timedelta(seconds=1)) == {
        "expired": 1}
    [row] = rows(session)
    assert row.state == "expired" and row.payload is None
    assert fake.callbacks() == []


def test_an_unreachable_buyer_app_is_tried_again_with_backoff(fake, session, app):
    context, _ = search(fake)  # answered; now a second message whose buyer app has gone
    fake.fail_next = 0
    net = network.network(app)
    row = OndcMessage(message_id="m-gone", action="search", transaction_id="t-gone", domain="ONDC:RET10",
                      bap_id=BAP_ID, bap_uri="http://127.0.0.1:9/bap", signed_by="x", received_at=rows(session)[0]
                      .received_at, expires_at=rows(session)[0].received_at + timedelta(hours=1),
                      request="{}", payload=json.dumps({"context": context, "message": search_message()}),
                      state="pending", next_at=rows(session)[0].received_at)
    session.add(row)
    session.commit()
    moment = row.next_at
    tries = []
    for _ in range(worker.MAX_ATTEMPTS):
        worker.send_due(session, net, now=moment, ids=[row.id])
        reload(session)
        tries.append(row.next_at - moment)
        moment = row.next_at
    assert row.state == "failed" and row.attempts == worker.MAX_ATTEMPTS and "unreachable" in row.problem
    assert tries[:3] == [worker.BACKOFF, worker.BACKOFF * 2, worker.BACKOFF * 4]


def test_the_registry_challenge_and_site_verification_round_trip(app, session):
    with ondc_network(app, register_haat=False) as fake:
        identity = network.network(app).identity
        subscribe = {"subscriber_id": identity.subscriber_id, "unique_key_id": identity.unique_key_id,
                     "subscriber_url": identity.subscriber_url, "callback_url": "/ondc",
                     "signing_public_key": identity.signing.public_base64,
                     "encryption_public_key": identity.encryption.public_base64,
                     "request_id": identity.request_id, "type": "BPP", "domain": "ONDC:RET10"}
        wrong = beckn.EncryptionKey.from_seed(beckn.demo_seed("encryption", "stranger")).public_base64
        answer = requests.post(f"{fake.base_url}/registry/subscribe", json={**subscribe,
                               "encryption_public_key": wrong}, timeout=30)
        assert "Encryption verification" in answer.json()["error"]["message"]
        answer = requests.post(f"{fake.base_url}/registry/subscribe", json={**subscribe, "request_id": "other"},
                               timeout=30)
        assert "Domain verification" in answer.json()["error"]["message"]
        answer = requests.post(f"{fake.base_url}/registry/subscribe", json=subscribe, timeout=30)
        assert answer.json() == beckn.ack()
        # Registered: a search now reaches Haat and is answered.
        context, answer = search(fake)
        assert answer.json()["message"]["ack"]["status"] == "ACK"
        assert len(fake.callbacks("on_search")) == 1


def test_on_subscribe_refuses_what_is_not_its_challenge(client):
    assert client.post("/ondc/on_subscribe", json={"subscriber_id": "haat.demo", "challenge": "AAAA"}
                       ).status_code == 400
    assert client.post("/ondc/on_subscribe", json={"subscriber_id": "other", "challenge": "AAAA"}
                       ).status_code == 400
    assert client.post("/ondc/on_subscribe", data="x").status_code == 400


def test_the_site_verification_page_signs_our_request_id(client, app):
    page = client.get("/ondc-site-verification.html")
    assert page.status_code == 200
    identity = network.network(app).identity
    signature = page.get_data(as_text=True).split('content="')[1].split('"')[0]
    assert beckn.verify(identity.signing.public_base64, signature, identity.request_id)


def test_off_the_network_there_is_nothing_here(make_app):
    app = make_app(ONDC_NETWORK="off")
    client = app.test_client()
    assert client.post("/ondc/search", data=b"{}").status_code == 404
    assert client.get("/ondc-site-verification.html").status_code == 404


def test_a_message_without_a_signature_is_refused(client):
    answer = client.post("/ondc/search", json={"context": {}, "message": {}})
    assert answer.status_code == 401 and answer.json["error"]["code"] == "30016"


def test_the_demo_network_answers_a_search_in_process(app):
    """`make run` needs no keys: the demo's buyer app, registry and Haat talk in one process."""
    result = app.test_cli_runner().invoke(args=["ondc", "demo-search"])
    assert result.exit_code == 0, result.output
    assert '"ACK"' in result.output
    assert "on_search signed by haat.demo|haat-demo-1" in result.output


def test_ondc_keys_prints_a_usable_pair(app):
    result = app.test_cli_runner().invoke(args=["ondc", "keys"])
    printed = dict(line.split("=", 1) for line in result.output.splitlines() if line.startswith("HAAT_"))
    signing = beckn.SigningKey.from_base64(printed["HAAT_ONDC_SIGNING_PRIVATE_KEY"])
    assert f"signing_public_key: {signing.public_base64}" in result.output
    beckn.EncryptionKey.from_base64(printed["HAAT_ONDC_ENCRYPTION_PRIVATE_KEY"])


def test_an_unsolicited_callback_goes_to_the_buyer_app_that_asked(fake, session, app):
    context, _ = search(fake)
    net = network.network(app)
    refresh = worker.owe_unsolicited(session, net, context, {"catalog": {"bpp/providers": []}})
    session.commit()
    assert worker.send_due(session, net, ids=[refresh.id]) == {"expired": 0, "sent": 1}
    # The buyer app takes it in its search's transaction, under a new message id, signed by Haat.
    [pushed] = [c for c in fake.callbacks("on_search") if c["context"]["message_id"] == refresh.message_id]
    assert refresh.message_id != context["message_id"] and pushed["unsolicited"]
    assert pushed["context"]["transaction_id"] == context["transaction_id"]
    assert pushed["signed_by"] == "haat.demo|haat-demo-1"
    reload(session)
    assert session.get(OndcMessage, refresh.id).state == "sent"


def test_a_worker_stopped_mid_send_leaves_the_callback_to_the_next_one(fake, session, app):
    """Claimed but never finished (its worker killed): after STUCK the worker's next round sends it again, with
    the answer the handler made the first time (not run again)."""
    fake.fail_next = 1
    context, _ = search(fake, ttl="PT1H")
    [row] = rows(session)
    first_answer = row.callback
    session.execute(sa.update(OndcMessage).where(OndcMessage.id == row.id).values(state="sending",
                                                                                  claimed_at=row.received_at))
    session.commit()
    net = network.network(app)
    assert worker.send_due(session, net, now=row.received_at + worker.STUCK / 2) == {"expired": 0}
    later = row.received_at + worker.STUCK * 2
    assert worker.send_due(session, net, now=later, ids=[row.id]) == {"expired": 0}  # inline: its own rows only
    assert worker.send_due(session, net, now=later) == {"expired": 0, "sent": 1}
    [callback] = fake.callbacks("on_search", context["message_id"])
    assert json.loads(first_answer)["message"] == callback["message"]
    [row] = rows(session)
    assert (row.state, row.attempts) == ("sent", 2)
