"""A message received: its signatures and context checked, then logged once (ACK) or refused (Nack).

What is checked, in order (a failure is a NACK with ONDC's error code, at once):
1. the Authorization header: the sender's key looked up at the registry (kept a few minutes), the signature over
   the body's BLAKE2b-512 digest, within created..expires; and the gateway's X-Gateway-Authorization when the
   search came through it (401, 30016);
2. the body is a JSON object with a `context` and a `message` (30000);
3. the context: action as the endpoint, core_version (1.2.0; IGM's 1.0.0), a domain we serve, India and a city,
   bap_id the signer's and bap_uri the URL the registry has for it (callbacks go nowhere else), bpp_id/bpp_uri
   ours if given, transaction_id and message_id, an RFC 3339 timestamp and an ISO 8601 ttl, and not stale:
   timestamp + ttl still ahead (30022);
4. a handler for the action exists (40001 otherwise).
Then the message is logged (market.ondc.models): a repeat of (message_id, action) is ACKed and logged no more,
so it gets no second callback.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from market.core import beckn
from market.core.beckn import INTERNAL_ERROR, INVALID_REQUEST, STALE_REQUEST, Nack, Signed, Unauthorized
from market.core.db import utcnow
from market.ondc import dispatch
from market.ondc.models import OndcMessage, redact
from market.ondc.network import Network

IDENTIFIER = re.compile(r"[\x21-\x7e]{1,100}")  # transaction and message ids: printable ASCII, no spaces
FUTURE_SKEW = timedelta(seconds=beckn.CLOCK_SKEW)


def _registry_record(net: Network, subscriber_id: str, unique_key_id: str) -> dict | None:
    try:
        return net.registry.lookup(subscriber_id, unique_key_id)
    except beckn.RegistryUnavailable as exc:
        raise Nack(INTERNAL_ERROR, "the registry cannot be reached; try again", "CORE-ERROR", 503) from exc


def _public_key(net: Network):
    def find(subscriber_id: str, unique_key_id: str) -> str | None:
        record = _registry_record(net, subscriber_id, unique_key_id)
        return record.get("signing_public_key") if record else None
    return find


def receive(session: Session, net: Network, action: str, data: bytes, authorization: str | None,
            gateway_authorization: str | None = None, now: datetime | None = None) -> int | None:
    """Check and log one message; the id of its new log row, or None for a repeat. Nack if refused. Commits."""
    now = now or utcnow()
    signed = beckn.check_authorization(authorization, data, _public_key(net), now.timestamp())
    if gateway_authorization is not None:
        gateway = beckn.check_authorization(gateway_authorization, data, _public_key(net), now.timestamp())
        signed_by = f"{signed.subscriber_id}|{signed.unique_key_id} via {gateway.subscriber_id}|{gateway.unique_key_id}"
    else:
        signed_by = f"{signed.subscriber_id}|{signed.unique_key_id}"
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Nack(INVALID_REQUEST, "the body is not JSON", "JSON-SCHEMA-ERROR") from exc
    if not isinstance(body, dict) or not isinstance(body.get("context"), dict) \
            or not isinstance(body.get("message"), dict):
        raise Nack(INVALID_REQUEST, "a message needs a context and a message object", "JSON-SCHEMA-ERROR")
    context = body["context"]
    expires_at = check_context(net, action, context, signed, now)
    dispatch.handler(action)
    row = OndcMessage(message_id=context["message_id"], action=action, transaction_id=context["transaction_id"],
                      domain=context["domain"], bap_id=context["bap_id"], bap_uri=context["bap_uri"].rstrip("/"),
                      signed_by=signed_by[:300], received_at=now, expires_at=expires_at,
                      request=json.dumps(redact(body)), payload=json.dumps(body), state="pending", next_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except sa.exc.IntegrityError:
        session.rollback()
        return None
    session.commit()
    return row.id


def _field(context: dict, name: str) -> str:
    value = context.get(name)
    if not isinstance(value, str) or not value:
        raise Nack(INVALID_REQUEST, f"context.{name} is missing", path=f"context.{name}")
    return value


def check_context(net: Network, action: str, context: dict, signed: Signed, now: datetime) -> datetime:
    """Nack unless the context is one we answer; the moment its TTL ends."""
    if _field(context, "action") != action:
        raise Nack(INVALID_REQUEST, f"context.action is not {action}", path="context.action")
    if _field(context, "core_version") != dispatch.core_version(action):
        raise Nack(INVALID_REQUEST, f"core_version must be {dispatch.core_version(action)}",
                   path="context.core_version")
    if _field(context, "domain") not in net.domains:
        raise Nack(INVALID_REQUEST, "this seller app does not serve that domain", path="context.domain")
    location = context.get("location")
    location = location if isinstance(location, dict) else {}  # retail 1.2.0: location.country.code, .city.code
    country, city = context.get("country"), context.get("city")  # IGM 1.0.0: country, city
    if isinstance(location.get("country"), dict):
        country = location["country"].get("code")
    if isinstance(location.get("city"), dict):
        city = location["city"].get("code")
    if country != "IND" or not isinstance(city, str) or not city:
        raise Nack(INVALID_REQUEST, "the context needs country IND and a city code", path="context.location")
    if _field(context, "bap_id") != signed.subscriber_id:
        raise Unauthorized("bap_id is not the signer of the request")
    bap_uri = _field(context, "bap_uri").rstrip("/")
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", bap_uri):
        raise Nack(INVALID_REQUEST, "bap_uri is not a URL", path="context.bap_uri")
    record = _registry_record(net, signed.subscriber_id, signed.unique_key_id) or {}
    registered = str(record.get("subscriber_url") or "").rstrip("/")
    if registered and registered != bap_uri:
        raise Nack(INVALID_REQUEST, "bap_uri is not the subscriber_url registered for bap_id",
                   path="context.bap_uri")
    if context.get("bpp_id") not in (None, net.identity.subscriber_id):
        raise Nack(INVALID_REQUEST, "bpp_id is not this seller app", path="context.bpp_id")
    if context.get("bpp_uri") is not None and str(context["bpp_uri"]).rstrip("/") != net.identity.subscriber_url:
        raise Nack(INVALID_REQUEST, "bpp_uri is not this seller app", path="context.bpp_uri")
    for name in ("transaction_id", "message_id"):
        if not IDENTIFIER.fullmatch(_field(context, name)):
            raise Nack(INVALID_REQUEST, f"context.{name} is not an identifier", path=f"context.{name}")
    try:
        sent = beckn.parse_timestamp(_field(context, "timestamp"))
    except ValueError as exc:
        raise Nack(INVALID_REQUEST, "timestamp is not RFC 3339", path="context.timestamp") from exc
    try:
        ttl = beckn.parse_duration(_field(context, "ttl"))
    except ValueError as exc:
        raise Nack(INVALID_REQUEST, "ttl is not an ISO 8601 duration", path="context.ttl") from exc
    if sent > now + FUTURE_SKEW:
        raise Nack(STALE_REQUEST, "the timestamp is in the future", "CONTEXT-ERROR", path="context.timestamp")
    if sent + ttl < now:
        raise Nack(STALE_REQUEST, "Stale Request: the message's ttl has passed", "CONTEXT-ERROR",
                   path="context.ttl")
    return sent + ttl
