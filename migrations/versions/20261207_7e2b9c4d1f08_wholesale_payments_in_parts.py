"""wholesale orders paid in parts: an order's advance percent; payments of a part (advance, balance) of one
order, by bank transfer too (its UTR)

Revision ID: 7e2b9c4d1f08
Revises: 5d2a8e61f0c3
Create Date: 2026-12-07 21:40:00
"""
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = '7e2b9c4d1f08'
down_revision = '5d2a8e61f0c3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: copying `orders` on SQLite would delete its lines, history and messages (cascades).
    # (The `quotes` branch adds the same column the same way: keep one of the two at merge.)
    op.add_column('orders', sa.Column('advance_percent', sa.Integer(), nullable=False, server_default='0'))
    with _foreign_keys_off(), op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('part', sa.String(length=8), nullable=False, server_default='whole'))
        batch_op.drop_constraint(op.f('uq_payments_order_id'), type_='unique')
        batch_op.create_unique_constraint('uq_payments_order_part', ['order_id', 'part'])
        batch_op.create_check_constraint(op.f('ck_payments_part_known'),
                                         "part IN ('whole', 'advance', 'balance')")
        batch_op.drop_constraint(op.f('ck_payments_gateway_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_payments_gateway_known'),
                                         "gateway IN ('razorpay', 'demo', 'stripe', 'cash', 'bank')")


@contextmanager
def _foreign_keys_off():
    """SQLite copies `payments` (new table, copy, drop the old, rename): with foreign keys on, dropping the old one
    fails on the rows pointing at it (events, refunds, transfers, ledger entries). The pragma is switched outside
    a transaction (inside one SQLite ignores it), and on again after; PostgreSQL alters the table in place."""
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        with op.get_context().autocommit_block():
            op.execute('PRAGMA foreign_keys = OFF')
    try:
        yield
    finally:
        if sqlite:
            with op.get_context().autocommit_block():
                op.execute('PRAGMA foreign_keys = ON')


def downgrade() -> None:
    with _foreign_keys_off(), op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payments_gateway_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_payments_gateway_known'),
                                         "gateway IN ('razorpay', 'demo', 'stripe', 'cash')")
        batch_op.drop_constraint(op.f('ck_payments_part_known'), type_='check')
        batch_op.drop_constraint('uq_payments_order_part', type_='unique')
        batch_op.create_unique_constraint(op.f('uq_payments_order_id'), ['order_id'])
        batch_op.drop_column('part')
    op.drop_column('orders', 'advance_percent')
