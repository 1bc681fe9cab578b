"""wholesale orders paid in parts (the order's advance percent comes with the quote offers): payments of a part (advance, balance) of one
order, by bank transfer too (its UTR)

Revision ID: 7e2b9c4d1f08
Revises: 7e4b2c9d1f08
Create Date: 2026-12-07 21:40:00
"""
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = '7e2b9c4d1f08'
down_revision = '7e4b2c9d1f08'
branch_labels = None
depends_on = None


def upgrade() -> None:
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
