"""the ONDC message log: messages ACKed and the callbacks owed for them

Revision ID: d4e5f6a7b8c9
Revises: c3d4e5f6a7b8
Create Date: 2026-12-08 00:40:00
"""
import sqlalchemy as sa
from alembic import op

import market.core.db

revision = 'd4e5f6a7b8c9'
down_revision = 'c3d4e5f6a7b8'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ondc_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('transaction_id', sa.String(length=100), nullable=False),
    sa.Column('domain', sa.String(length=20), nullable=False),
    sa.Column('bap_id', sa.String(length=255), nullable=False),
    sa.Column('bap_uri', sa.String(length=500), nullable=False),
    sa.Column('signed_by', sa.String(length=300), nullable=False),
    sa.Column('received_at', market.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', market.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('request', sa.Text(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=True),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_at', market.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', market.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_at', market.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('callback', sa.Text(), nullable=True),
    sa.Column('problem', sa.String(length=300), nullable=False),
    sa.CheckConstraint("state IN ('pending', 'sending', 'sent', 'refused', 'expired', 'failed', 'none')",
                       name=op.f('ck_ondc_messages_state_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ondc_messages')),
    sa.UniqueConstraint('message_id', 'action', name=op.f('uq_ondc_messages_message_id_action'))
    )
    with op.batch_alter_table('ondc_messages', schema=None) as batch_op:
        batch_op.create_index('ix_ondc_messages_state_next_at', ['state', 'next_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ondc_messages_transaction_id'), ['transaction_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ondc_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ondc_messages_transaction_id'))
        batch_op.drop_index('ix_ondc_messages_state_next_at')
    op.drop_table('ondc_messages')
