"""alerts on her phone: push subscriptions (one per login), push deliveries (one per phone); login codes

Revision ID: 7e4b2c9d1f80
Revises: 7e4b2a9c1d30
Create Date: 2026-12-07 21:45:00
"""
import sqlalchemy as sa
from alembic import op

import market.core.db

revision = '7e4b2c9d1f80'
down_revision = '7e4b2a9c1d30'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('push_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('login_session_id', sa.Integer(), nullable=False),
    sa.Column('endpoint', sa.String(length=500), nullable=False),
    sa.Column('p256dh', sa.String(length=100), nullable=False),
    sa.Column('auth', sa.String(length=40), nullable=False),
    sa.Column('created_at', market.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['login_session_id'], ['login_sessions.id'],
                            name=op.f('fk_push_subscriptions_login_session_id_login_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_push_subscriptions_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscriptions')),
    sa.UniqueConstraint('endpoint', name=op.f('uq_push_subscriptions_endpoint'))
    )
    op.create_index(op.f('ix_push_subscriptions_login_session_id'), 'push_subscriptions', ['login_session_id'],
                    unique=False)
    op.create_index(op.f('ix_push_subscriptions_user_id'), 'push_subscriptions', ['user_id'], unique=False)
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target', sa.String(length=20), nullable=False, server_default=''))
        batch_op.drop_constraint(op.f('uq_deliveries_notification_id_channel'), type_='unique')
        batch_op.create_unique_constraint(op.f('uq_deliveries_notification_id_channel_target'),
                                          ['notification_id', 'channel', 'target'])
        batch_op.drop_constraint(op.f('ck_deliveries_channel_known'), type_='check')
        batch_op.create_check_constraint('channel_known', "channel IN ('email', 'sms', 'push')")
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=8), nullable=False, server_default='reset'))
        batch_op.create_check_constraint('purpose_known', "purpose IN ('reset', 'login')")


def downgrade() -> None:
    op.execute("DELETE FROM password_resets WHERE purpose = 'login'")
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_password_resets_purpose_known'), type_='check')
        batch_op.drop_column('purpose')
    op.execute("DELETE FROM deliveries WHERE channel = 'push'")
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_deliveries_channel_known'), type_='check')
        batch_op.create_check_constraint('channel_known', "channel IN ('email', 'sms')")
        batch_op.drop_constraint(op.f('uq_deliveries_notification_id_channel_target'), type_='unique')
        batch_op.create_unique_constraint(op.f('uq_deliveries_notification_id_channel'),
                                          ['notification_id', 'channel'])
        batch_op.drop_column('target')
    op.drop_index(op.f('ix_push_subscriptions_user_id'), table_name='push_subscriptions')
    op.drop_index(op.f('ix_push_subscriptions_login_session_id'), table_name='push_subscriptions')
    op.drop_table('push_subscriptions')
