"""Write the search / on_search logs of Haat's demo catalogue, one folder per domain, as ONDC's log validation
utility reads them (retail 1.2.0 flow 8 "search only", and flow 1 with an incremental refresh).

    .venv/bin/python tools/ondc_catalogue_logs.py OUT_DIR [--database sqlite:////tmp/haat-ondc.db]

The database must hold the demo data (`make run` does it; or `flask --app market db upgrade && flask --app market
seed-demo` with the same HAAT_DATABASE_URL). Nothing is sent anywhere: the payloads are built by
market.ondc.catalogue and written as JSON (OUT_DIR/RET10/flow8.json ...). tools/ondc_validate.sh runs the utility.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import sqlalchemy as sa

from catalog.models import Product, Variant
from market import create_app
from market.core.db import get_session, utcnow
from market.ondc import catalogue, taxonomy

BAP, BPP = "buyer-app.example.org", "haat.example.org"


def context(action: str, domain: str, transaction: str, message: str, city: str = "std:020") -> dict:
    return {"domain": domain, "country": "IND", "city": city, "action": action, "core_version": "1.2.0",
            "bap_id": BAP, "bap_uri": f"https://{BAP}/ondc", "bpp_id": BPP, "bpp_uri": f"https://{BPP}/ondc",
            "transaction_id": transaction, "message_id": message, "timestamp": catalogue.iso(None), "ttl": "PT30S"}


def search(domain: str, transaction: str, message: str, city: str, incremental: bool = False) -> dict:
    body = context("search", domain, transaction, message, city)
    del body["bpp_id"], body["bpp_uri"]
    intent: dict = {"payment": {"@ondc/org/buyer_app_finder_fee_type": "percent",
                                "@ondc/org/buyer_app_finder_fee_amount": "3"}}
    if incremental:  # a buyer app asking for pushes from now on (the contract's "regular push")
        intent["tags"] = [{"code": "catalog_inc", "list": [{"code": "mode", "value": "start"}]}]
    return {"context": body, "message": {"intent": intent}}


def main(out: Path) -> None:
    app = create_app()
    with app.app_context():
        session = get_session()
        for domain in (taxonomy.GROCERY, taxonomy.FASHION, taxonomy.HOME):
            code = domain.split(":")[1]
            city = "std:020"
            transaction, message = str(uuid.uuid4()), str(uuid.uuid4())
            asked = search(domain, transaction, message, city)
            answer = catalogue.on_search(session, asked["context"], asked["message"])
            if not answer["catalog"]["bpp/providers"]:  # nothing of this domain in Pune: the whole country
                city = "*"
                asked = search(domain, transaction, message, city)
                answer = catalogue.on_search(session, asked["context"], asked["message"])
            logs = {"search_full_catalog_refresh": asked,
                    "on_search_full_catalog_refresh": {"context": context("on_search", domain, transaction, message,
                                                                          city), "message": answer}}
            folder = out / code
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "flow8.json").write_text(json.dumps(logs, indent=1, ensure_ascii=False))
            # Flow 1: the same, then an incremental refresh after a price change (rolled back afterwards).
            since = utcnow()
            first = answer["catalog"]["bpp/providers"][0]["items"][0]["id"] if answer["catalog"]["bpp/providers"] \
                else None
            if first:
                variant = session.get(Variant, catalogue.variant_id_of(first))
                variant.price_paise += 1_000
                session.flush()
            inc_transaction, inc_message = str(uuid.uuid4()), str(uuid.uuid4())
            inc = search(domain, inc_transaction, inc_message, "*", incremental=True)
            logs["search_inc_refresh"] = inc
            pushed = catalogue.changed_items(session, since, domain)  # an unsolicited on_search: its own message id
            logs["on_search_inc_refresh"] = {
                "context": context("on_search", domain, inc_transaction, str(uuid.uuid4()), "*"), "message": pushed}
            session.rollback()
            (folder / "flow1.json").write_text(json.dumps(logs, indent=1, ensure_ascii=False))
            count = sum(len(p.get("items", [])) for p in answer["catalog"]["bpp/providers"])
            print(f"{code}: {len(answer['catalog']['bpp/providers'])} shops, {count} items ({city}) -> {folder}")
        listed = session.scalar(sa.select(sa.func.count()).select_from(Product).where(Product.listed))
        print(f"{listed} products listed on Haat")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
