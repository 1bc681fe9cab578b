"""search -> on_search. PLACEHOLDER: the catalogue (ondccat's work) replaces this module at merge.

The interface the network half expects: `on_search(session, context, message) -> dict`, the `message` of the
on_search callback ({"catalog": {...}}), or raise market.core.beckn.Nack with an ONDC error code.
"""

from __future__ import annotations

from sqlalchemy.orm import Session


def on_search(session: Session, context: dict, message: dict) -> dict:
    """An empty catalogue under Haat's name (placeholder)."""
    return {"catalog": {"bpp/descriptor": {"name": "Haat"}, "bpp/providers": []}}
