"""reconcile runs and their findings, refused refunds tried again

Revision ID: 0d688b17e03d
Revises: 7e2b9c4d1f08
Create Date: 2026-12-07 21:22:15.588688

Each run of `payments reconcile` and what it found and repaired, for the admins' overview; a refund the gateway
refused keeps the reason, and an admin's "try again" is a new refund naming it (once).
"""
import sqlalchemy as sa
from alembic import op

import market.core.db  # noqa: F401 - UTCDateTime

revision = '0d688b17e03d'
down_revision = '7e2b9c4d1f08'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reconcile_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', market.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', market.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('repair', sa.Boolean(), nullable=False),
    sa.Column('checked', sa.Integer(), nullable=False),
    sa.Column('found', sa.Integer(), nullable=False),
    sa.Column('repaired', sa.Integer(), nullable=False),
    sa.Column('unreachable', sa.Integer(), nullable=False),
    sa.Column('waiting', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconcile_runs'))
    )
    with op.batch_alter_table('reconcile_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reconcile_runs_started_at'), ['started_at'], unique=False)

    op.create_table('reconcile_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('problem', sa.String(length=200), nullable=False),
    sa.Column('repaired', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_reconcile_findings_payment_id_payments')),
    sa.ForeignKeyConstraint(['run_id'], ['reconcile_runs.id'], name=op.f('fk_reconcile_findings_run_id_reconcile_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconcile_findings'))
    )
    with op.batch_alter_table('reconcile_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reconcile_findings_run_id'), ['run_id'], unique=False)

    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('problem', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('retry_of_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_refunds_retry_of_id'), ['retry_of_id'])
        batch_op.create_foreign_key(batch_op.f('fk_refunds_retry_of_id_refunds'), 'refunds', ['retry_of_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_refunds_retry_of_id_refunds'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_refunds_retry_of_id'), type_='unique')
        batch_op.drop_column('retry_of_id')
        batch_op.drop_column('problem')

    with op.batch_alter_table('reconcile_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reconcile_findings_run_id'))

    op.drop_table('reconcile_findings')
    with op.batch_alter_table('reconcile_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reconcile_runs_started_at'))

    op.drop_table('reconcile_runs')
