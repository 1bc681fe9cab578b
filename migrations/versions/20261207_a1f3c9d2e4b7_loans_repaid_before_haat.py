"""loans: instalments repaid before Haat (a loan she already had when she joined)

Revision ID: a1f3c9d2e4b7
Revises: 3b7e0c1d9a55
Create Date: 2026-12-07 18:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'a1f3c9d2e4b7'
down_revision = '3b7e0c1d9a55'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('loans') as batch:
        batch.add_column(sa.Column('paid_before_instalments', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('last_paid_before_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('loans') as batch:
        batch.drop_column('last_paid_before_on')
        batch.drop_column('paid_before_instalments')
