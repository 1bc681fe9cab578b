"""`flask --app market ondc work [--once]`: send the ONDC callbacks still owed (market.ondc.worker), again and
again (the Procfile runs it). `flask --app market ondc keys`: a new signing and encryption key pair to register.
`flask --app market ondc subscribe-request`: the fields of our /subscribe request, from the settings.
`flask --app market ondc demo-search`: (demo network only) the fake buyer app searches Haat and shows the answer."""

from __future__ import annotations

import json
import time

import click
from flask import Flask

from market.core import beckn, db
from market.ondc import network, worker


def register(app: Flask) -> None:
    @app.cli.group("ondc")
    def ondc_group():
        """ONDC: Haat as a seller app on the Open Network for Digital Commerce."""

    @ondc_group.command("work")
    @click.option("--once", is_flag=True, help="Send what is due once, then stop.")
    @click.option("--every", default=1.0, show_default=True, help="Seconds between rounds.")
    def work(once: bool, every: float):
        """Run the handlers and send the callbacks due, retrying while a buyer app cannot be reached."""
        net = network.network()
        while True:
            counts = worker.send_due(db.session, net)
            if any(counts.values()):
                click.echo(", ".join(f"{n} {state}" for state, n in sorted(counts.items()) if n))
            if once:
                return
            time.sleep(every)

    @ondc_group.command("keys")
    def keys():
        """Print a new key pair (keep the private keys secret: they go in HAAT_ONDC_* settings only)."""
        signing = beckn.SigningKey(beckn.Ed25519PrivateKey.generate())
        encryption = beckn.EncryptionKey(beckn.X25519PrivateKey.generate())
        click.echo(f"HAAT_ONDC_SIGNING_PRIVATE_KEY={signing.private_base64}")
        click.echo(f"HAAT_ONDC_ENCRYPTION_PRIVATE_KEY={encryption.private_base64}")
        click.echo(f"signing_public_key: {signing.public_base64}")
        click.echo(f"encryption_public_key: {encryption.public_base64}")

    @ondc_group.command("demo-search")
    @click.option("--domain", default="ONDC:RET10", show_default=True)
    def demo_search(domain: str):
        """The demo's buyer app sends a signed search to Haat; print the ACK and the on_search it got back."""
        net = network.network()
        if net.fake is None:
            raise click.ClickException("only on the demo network (HAAT_ONDC_NETWORK=demo)")
        haat = net.fake.seller(net.identity.subscriber_id)
        context = net.fake.context("search", domain=domain)
        answer = net.fake.send(f"{haat.subscriber_url}/search", context, {"intent": {"fulfillment": {
            "type": "Delivery"}, "payment": {"@ondc/org/buyer_app_finder_fee_type": "percent",
                                             "@ondc/org/buyer_app_finder_fee_amount": "3"}}})
        click.echo(f"search {context['message_id']}: {answer.status_code} {answer.text.strip()}")
        for callback in net.fake.callbacks("on_search", context["message_id"]):
            click.echo(f"on_search signed by {callback['signed_by']}, verified by the buyer app:")
            click.echo(json.dumps(callback["message"], indent=2, ensure_ascii=False)[:4000])

    @ondc_group.command("subscribe-request")
    def subscribe_request():
        """Print our keys' part of the /subscribe request (the registry's form adds the entity's details)."""
        identity = network.network().identity
        click.echo(json.dumps({
            "subscriber_id": identity.subscriber_id, "unique_key_id": identity.unique_key_id,
            "callback_url": "/ondc", "subscriber_url": identity.subscriber_url, "request_id": identity.request_id,
            "key_pair": {"signing_public_key": identity.signing.public_base64,
                         "encryption_public_key": identity.encryption.public_base64}}, indent=2))
