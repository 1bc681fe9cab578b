"""Our identity on ONDC, the registry client and the HTTP session, made from the settings once per app.

In the demo (HAAT_ONDC_NETWORK=demo) the session reaches the local fake network (market.core.fakes.ondc) in this
process at http://ondc.demo/, and the fake reaches this app at http://haat.demo/: `make run` needs no keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import requests
from flask import Flask, current_app
from werkzeug.local import LocalProxy

from market.core import beckn
from market.core.fakes.local import InProcess
from market.core.fakes.ondc import FakeNetwork, Participant

DEMO_NETWORK_URL = "http://ondc.demo"
DEMO_HAAT_URL = "http://haat.demo"


@dataclass(frozen=True)
class Identity:
    """Who we are on the network."""

    subscriber_id: str
    unique_key_id: str
    subscriber_url: str  # our bpp_uri
    signing: beckn.SigningKey
    encryption: beckn.EncryptionKey
    request_id: str | None
    registry_public_key: str

    def sign(self, body: bytes) -> str:
        """The Authorization header for these bytes."""
        return beckn.authorization(body, self.subscriber_id, self.unique_key_id, self.signing)


@dataclass
class Network:
    identity: Identity
    registry: beckn.Registry
    http: requests.Session
    domains: tuple[str, ...]
    fake: FakeNetwork | None = None


def _app(app: Flask | None) -> Flask:
    return app or cast("LocalProxy[Flask]", current_app)._get_current_object()  # Flask annotates it as Flask


def enabled(app: Flask | None = None) -> bool:
    return _app(app).config["ONDC_NETWORK"] != "off"


def network(app: Flask | None = None) -> Network:
    """This app's network (made on first use; the tests' apps forget it between tests)."""
    app = _app(app)
    if "haat.ondc" not in app.extensions:
        app.extensions["haat.ondc"] = _make(app)
    return app.extensions["haat.ondc"]


def _make(app: Flask) -> Network:
    config = app.config
    identity = Identity(config["ONDC_SUBSCRIBER_ID"], str(config["ONDC_UNIQUE_KEY_ID"]),
                        config["ONDC_SUBSCRIBER_URL"].rstrip("/"),
                        beckn.SigningKey.from_base64(config["ONDC_SIGNING_PRIVATE_KEY"]),
                        beckn.EncryptionKey.from_base64(config["ONDC_ENCRYPTION_PRIVATE_KEY"]),
                        config["ONDC_REQUEST_ID"], config["ONDC_REGISTRY_PUBLIC_KEY"])
    http = requests.Session()
    fake = None
    if config["ONDC_NETWORK"] == "demo" and config["ONDC_REGISTRY_URL"].startswith(DEMO_NETWORK_URL):
        fake = demo_network(app, identity)
        http.mount(DEMO_NETWORK_URL + "/", InProcess(fake))
    registry = beckn.Registry(config["ONDC_REGISTRY_URL"], http, signer=identity.sign)
    domains = tuple(d.strip() for d in config["ONDC_DOMAINS"].split(",") if d.strip())
    return Network(identity, registry, http, domains, fake)


def demo_network(app: Flask, identity: Identity) -> FakeNetwork:
    """The demo's fake network, Haat registered in it as a seller app, reaching this app in this process."""
    fake = FakeNetwork(DEMO_NETWORK_URL)
    fake.http.mount(DEMO_HAAT_URL + "/", InProcess(app))
    fake.register(Participant(identity.subscriber_id, identity.unique_key_id, identity.subscriber_url,
                              identity.signing.public_base64, identity.encryption.public_base64, "BPP",
                              app.config["ONDC_DOMAINS"]))
    return fake
