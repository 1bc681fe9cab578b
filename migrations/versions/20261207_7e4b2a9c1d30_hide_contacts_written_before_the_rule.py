"""hide phone numbers, e-mail addresses and UPI ids in public text written before they were refused

Shop names and stories, product titles, descriptions, sizes and colours saved before the public-text rule (see
market/core/security.check_public_text) may hold a seller's contact: buyers would still read it. Each contact is
replaced where it stands, as messages are ("[…]"), and changed products are queued for the search index. Her own
legal name cannot be told apart from a shop's name this way; forms ask her to change it when she next saves.

Revision ID: 7e4b2a9c1d30
Revises: 7a9c4e2b1d30
Create Date: 2026-12-07 21:30:00
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from market.core.security import has_contact, hide_contacts

revision = '7e4b2a9c1d30'
down_revision = '7a9c4e2b1d30'
branch_labels = None
depends_on = None

# table -> (its text columns buyers read, with their lengths; None for unlimited)
PUBLIC_TEXT = {
    "businesses": {"public_name": 80, "story": None},
    "products": {"title": 120, "description": None},
    "variants": {"size": 20, "colour": 30},
}


def hide_old_contacts(conn: sa.Connection) -> dict[str, int]:
    """Rewrite every public text with a contact in it; returns how many rows of each table changed."""
    changed = {}
    for name, columns in PUBLIC_TEXT.items():
        table = sa.table(name, sa.column("id"), *(sa.column(c) for c in columns),
                         *([sa.column("product_id")] if name == "variants" else []))
        rows = conn.execute(sa.select(table)).mappings()
        updates = []
        for row in rows:
            values = {c: hide_contacts(row[c])[:size] if size else hide_contacts(row[c])
                      for c, size in columns.items() if row[c] and has_contact(row[c])}
            if values:
                updates.append((row["id"], row.get("product_id", row["id"]), values))
        for row_id, product_id, values in updates:
            if name == "variants":  # a product's sizes and colours are unique together: keep them apart
                values = {c: f"{v} {row_id}"[-columns[c]:] if v == "[…]" else v for c, v in values.items()}
            conn.execute(sa.update(table).where(table.c.id == row_id).values(**values))
            products = (sa.select(sa.column("id")).select_from(sa.table("products"))
                        .where(sa.column("business_id") == row_id) if name == "businesses" else sa.select(sa.literal(product_id)))
            conn.execute(sa.table("search_queue", sa.column("product_id"), sa.column("queued_at")).insert()
                         .from_select(["product_id", "queued_at"],
                                      products.add_columns(sa.literal(datetime.now(UTC), sa.DateTime(timezone=True)))))
        changed[name] = len(updates)
    return changed


def upgrade() -> None:
    hide_old_contacts(op.get_bind())


def downgrade() -> None:
    pass  # a contact hidden for her safety is not written back
