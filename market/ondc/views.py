"""The endpoints of the network: buyer apps and the gateway post here; the registry checks us here.

Each message is answered at once, ACK (200) or NACK (400, 401 for a signature, 503 while the registry cannot be
reached) with ONDC's error; its callback goes after the response is sent (market.ondc.worker). Nothing here is a
page for a person: the answers are JSON for other programs, in English.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, abort, current_app, g, jsonify, request
from markupsafe import escape

from market.core import beckn, db
from market.core.beckn import INVALID_REQUEST, Nack
from market.core.extensions import csrf
from market.ondc import dispatch, inbox, network, worker

log = logging.getLogger(__name__)

ondc = Blueprint("ondc", __name__)
csrf.exempt(ondc)  # signed by the sender (Authorization), not by a form of ours


@ondc.before_request
def only_when_on_the_network():
    if not network.enabled():
        abort(404)


@ondc.post(f"/ondc/<any({', '.join(dispatch.ACTIONS)}):action>")
def receive(action: str):
    try:
        row_id = inbox.receive(db.session, network.network(), action, request.get_data(),
                               request.headers.get("Authorization"), request.headers.get("X-Gateway-Authorization"))
    except Nack as refusal:
        db.session.rollback()
        log.warning("ONDC %s answered NACK %s: %s", action, refusal.code, refusal.message)
        return jsonify(beckn.nack(refusal)), refusal.status
    if row_id is not None:
        g.setdefault("ondc_received", []).append(row_id)
    return jsonify(beckn.ack())


@ondc.after_request
def send_callbacks_after_the_response(response):
    """The callbacks of what this request logged go once its response has been sent (the worker retries)."""
    received = g.pop("ondc_received", None)
    if received and current_app.config["ONDC_CALLBACKS_INLINE"]:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        response.call_on_close(lambda: send_now(app, received))
    return response


def send_now(app: Flask, ids: list[int]) -> None:
    with app.app_context():
        try:
            worker.send_due(db.session, network.network(app), ids=ids)
        except Exception:  # the ACK stands (the message is logged); the worker sends what is left
            db.session.rollback()
            log.exception("ONDC callbacks after a request failed; the worker will retry")


@ondc.post("/ondc/on_subscribe")
def on_subscribe():
    """The registry's challenge, decrypted with our X25519 key and its public key: {"answer": ...}."""
    asked = request.get_json(silent=True)
    identity = network.network().identity
    if not isinstance(asked, dict) or not isinstance(asked.get("challenge"), str) \
            or asked.get("subscriber_id") not in (None, identity.subscriber_id):
        return jsonify(beckn.nack(Nack(INVALID_REQUEST, "subscriber_id and challenge expected"))), 400
    try:
        answer = beckn.decrypt_challenge(identity.encryption, identity.registry_public_key, asked["challenge"])
    except ValueError:
        log.warning("ONDC on_subscribe: a challenge that does not decrypt with our key")
        return jsonify(beckn.nack(Nack(INVALID_REQUEST, "the challenge does not decrypt"))), 400
    return jsonify({"answer": answer})


@ondc.get("/ondc-site-verification.html")
def site_verification():
    """Our request_id signed with our signing key, for the registry to check that the domain is ours."""
    identity = network.network().identity
    if not identity.request_id:
        abort(404)
    signed = escape(identity.signing.sign(identity.request_id))
    page = (f'<!DOCTYPE html>\n<html><head><meta name="ondc-site-verification" content="{signed}" /></head>'
            "<body>ONDC Site Verification Page</body></html>\n")
    return page, 200, {"Content-Type": "text/html; charset=utf-8"}
