"""login sessions (each login on a phone or computer, revocable on the server) and pending sign-ups

Revision ID: 3b7e0c1d9a55
Revises: 7e4c673c6c0b
Create Date: 2026-12-07 18:40:00
"""
import sqlalchemy as sa
from alembic import op

import market.core.db

revision = '3b7e0c1d9a55'
down_revision = '7e4c673c6c0b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', market.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', market.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', market.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_login_sessions_token_hash'))
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('pending_signups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('login', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=True),
    sa.Column('business_name', sa.String(length=120), nullable=False),
    sa.Column('gstin', sa.String(length=15), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('nonce', sa.String(length=43), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('expires_at', market.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('code_state', sa.String(length=8), nullable=False),
    sa.Column('created_at', market.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("code_state IN ('pending', 'sent', 'skipped', 'failed')", name=op.f('ck_pending_signups_code_state_known')),
    sa.CheckConstraint("role IN ('buyer', 'wholesaler')", name=op.f('ck_pending_signups_role_self_signup')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_signups')),
    sa.UniqueConstraint('login', name=op.f('uq_pending_signups_login'))
    )
    with op.batch_alter_table('pending_signups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_signups_code_state'), ['code_state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('pending_signups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_signups_code_state'))
    op.drop_table('pending_signups')
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_user_id'))
    op.drop_table('login_sessions')
