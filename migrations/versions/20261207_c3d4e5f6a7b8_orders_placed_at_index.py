"""an index on orders.placed_at: the admins' overview filters every order of the site by dates

Revision ID: c3d4e5f6a7b8
Revises: 9ed51e02d82f
Create Date: 2026-12-07 23:20:00
"""
from alembic import op

revision = 'c3d4e5f6a7b8'
down_revision = '9ed51e02d82f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_orders_placed_at', 'orders', ['placed_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_orders_placed_at', table_name='orders')
