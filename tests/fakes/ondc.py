"""The local ONDC network (market.core.fakes.ondc) served on 127.0.0.1, with Haat's app reached in-process at
http://haat.test/ through a real requests session (the buyer app, the gateway and the registry all call it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from market.core.fakes.local import InProcess
from market.core.fakes.ondc import FakeNetwork, Participant
from market.ondc import network
from tests.fakes.server import serve

HAAT_URL = "http://haat.test"


@contextmanager
def ondc_network(app: Flask, register_haat: bool = True) -> Iterator[FakeNetwork]:
    """The fake network, Haat's settings pointed at it, Haat registered as a seller app (unless told not to)."""
    fake = FakeNetwork("http://127.0.0.1")
    fake.http.mount(HAAT_URL + "/", InProcess(app))
    with serve(fake) as served:
        fake.at(served.url)
        app.config.update(ONDC_REGISTRY_URL=f"{served.url}/registry", ONDC_SUBSCRIBER_URL=f"{HAAT_URL}/ondc")
        app.extensions.pop("haat.ondc", None)
        if register_haat:
            identity = network.network(app).identity
            fake.register(Participant(identity.subscriber_id, identity.unique_key_id, identity.subscriber_url,
                                      identity.signing.public_base64, identity.encryption.public_base64, "BPP",
                                      app.config["ONDC_DOMAINS"]))
        yield fake


def search_message() -> dict:
    return {"intent": {"category": {"id": "Foodgrains"},
                       "fulfillment": {"type": "Delivery", "end": {"location": {"gps": "12.974002,77.613458",
                                                                                "address": {"area_code": "560001"}}}},
                       "payment": {"@ondc/org/buyer_app_finder_fee_type": "percent",
                                   "@ondc/org/buyer_app_finder_fee_amount": "3"}}}
