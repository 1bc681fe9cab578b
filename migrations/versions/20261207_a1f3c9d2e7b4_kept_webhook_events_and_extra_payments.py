"""webhook events kept until their payment is known; second payments of a paid order; invoices' round-off and
how the order was paid

Revision ID: a1f3c9d2e7b4
Revises: a1f3c9d2e4b7
Create Date: 2026-12-07 18:30:00
"""
import sqlalchemy as sa
from alembic import op

import market.core.db

revision = 'a1f3c9d2e7b4'
down_revision = 'a1f3c9d2e4b7'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting_for', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('body', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_webhook_events_waiting_for'), ['waiting_for'], unique=False)

    op.create_table('extra_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('gateway', sa.String(length=10), nullable=False),
    sa.Column('gateway_payment_id', sa.String(length=255), nullable=False),
    sa.Column('amount_paise', sa.BigInteger(), nullable=False),
    sa.Column('fee_paise', sa.Integer(), nullable=False),
    sa.Column('refunded_paise', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('gateway_refund_id', sa.String(length=255), nullable=True),
    sa.Column('problem', sa.String(length=200), nullable=False),
    sa.Column('created_at', market.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', market.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_paise > 0', name=op.f('ck_extra_payments_amount_positive')),
    sa.CheckConstraint('refunded_paise >= 0 AND refunded_paise <= amount_paise',
                       name=op.f('ck_extra_payments_refund_within_amount')),
    sa.CheckConstraint("status IN ('pending', 'refunded', 'failed')", name=op.f('ck_extra_payments_status_known')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_extra_payments_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extra_payments')),
    sa.UniqueConstraint('gateway', 'gateway_payment_id', name='uq_extra_payments_gateway_payment')
    )
    with op.batch_alter_table('extra_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_extra_payments_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_extra_payments_status'), ['status'], unique=False)


    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_off_paise', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('payment_method', sa.String(length=20), nullable=False, server_default=''))
        batch_op.drop_constraint(op.f('ck_invoices_total_adds_up'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_invoices_total_adds_up'),
            'total_paise = taxable_paise + cgst_paise + sgst_paise + igst_paise + round_off_paise')


def downgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_invoices_total_adds_up'), type_='check')
        batch_op.create_check_constraint(op.f('ck_invoices_total_adds_up'),
                                         'total_paise = taxable_paise + cgst_paise + sgst_paise + igst_paise')
        batch_op.drop_column('payment_method')
        batch_op.drop_column('round_off_paise')
    with op.batch_alter_table('extra_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_extra_payments_status'))
        batch_op.drop_index(batch_op.f('ix_extra_payments_payment_id'))
    op.drop_table('extra_payments')
    with op.batch_alter_table('webhook_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_events_waiting_for'))
        batch_op.drop_column('body')
        batch_op.drop_column('waiting_for')
