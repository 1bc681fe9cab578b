"""ONDC catalogue: the pickup point's pincode, GPS and city (STD) code; when a variant or photo last changed

The network's catalogue gives every shop a location with a pincode and GPS to six decimals, and a city as its
STD code (context.city "std:020"); the collective's pickup point had only a free-text address. Variants and
photos get timestamps so an incremental refresh finds price, stock and photo changes (a product's own
updated_at misses a variant's stock or price that leaves the product row as it was).

Revision ID: 5e8a1c7d2b90
Revises: d7e3a1b9c5f2
Create Date: 2026-12-08 00:55:00
"""
import sqlalchemy as sa
from alembic import op

import market.core.db

revision = '5e8a1c7d2b90'
down_revision = 'd7e3a1b9c5f2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pickup_pincode', sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column('pickup_gps', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('std_code', sa.String(length=6), nullable=True))
    with op.batch_alter_table('variants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', market.core.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_at', market.core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_column('created_at')
    with op.batch_alter_table('variants', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('std_code')
        batch_op.drop_column('pickup_gps')
        batch_op.drop_column('pickup_pincode')
