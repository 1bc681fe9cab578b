"""one outbox for every channel (deliveries), her choice of channels per event, password reset codes

Revision ID: 5d2a8e61f0c3
Revises: a1f3c9d2e7b4
Create Date: 2026-12-07 19:50:00
"""
import sqlalchemy as sa
from alembic import op

import market.core.db

revision = '5d2a8e61f0c3'
down_revision = 'a1f3c9d2e7b4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_at', market.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', market.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('template', sa.String(length=40), nullable=False),
    sa.Column('values', sa.String(length=500), nullable=False),
    sa.CheckConstraint("channel IN ('email', 'sms')", name=op.f('ck_deliveries_channel_known')),
    sa.CheckConstraint("state IN ('pending', 'sending', 'sent', 'skipped', 'failed')",
                       name=op.f('ck_deliveries_state_known')),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'],
                            name=op.f('fk_deliveries_notification_id_notifications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('notification_id', 'channel', name=op.f('uq_deliveries_notification_id_channel'))
    )
    op.create_index('ix_deliveries_state_next_at', 'deliveries', ['state', 'next_at'], unique=False)
    # E-mails still waiting move to the new outbox as they were.
    op.execute("INSERT INTO deliveries (notification_id, channel, state, attempts, next_at, template, \"values\") "
               "SELECT id, 'email', 'pending', attempts, created_at, '', '{}' FROM notifications "
               "WHERE email_state = 'pending'")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), nullable=False, server_default='other'))
        batch_op.drop_index('ix_notifications_email_state_id')
        batch_op.drop_constraint(op.f('ck_notifications_email_state_known'), type_='check')
        batch_op.drop_column('email_state')
        batch_op.drop_column('attempts')

    op.create_table('alert_choices',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=20), nullable=False),
    sa.Column('channels', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_alert_choices_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'event', name=op.f('pk_alert_choices'))
    )
    op.create_table('password_resets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('login', sa.String(length=254), nullable=False),
    sa.Column('nonce', sa.String(length=43), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('expires_at', market.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('code_state', sa.String(length=8), nullable=False),
    sa.Column('created_at', market.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("code_state IN ('pending', 'sent', 'failed')", name=op.f('ck_password_resets_code_state_known')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_resets_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_resets')),
    sa.UniqueConstraint('user_id', name=op.f('uq_password_resets_user_id'))
    )
    op.create_index(op.f('ix_password_resets_code_state'), 'password_resets', ['code_state'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_password_resets_code_state'), table_name='password_resets')
    op.drop_table('password_resets')
    op.drop_table('alert_choices')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('email_state', sa.String(length=8), nullable=False, server_default='sent'))
        batch_op.create_check_constraint('email_state_known',
                                         "email_state IN ('pending', 'sent', 'skipped', 'failed')")
        batch_op.create_index('ix_notifications_email_state_id', ['email_state', 'id'], unique=False)
        batch_op.drop_column('kind')
    op.drop_index('ix_deliveries_state_next_at', table_name='deliveries')
    op.drop_table('deliveries')
