"""hierarchy, moderation and account holds: a programme's states, closed SHGs, memberships with dates, hidden
products and shops, listing reports, category translations and retirement, suspended buyers

Revision ID: 7e4b2c9d1f08
Revises: 7e4b2c9d1f80
Create Date: 2026-12-07 21:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '7e4b2c9d1f08'
down_revision = '7e4b2c9d1f80'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'programme_states',
        sa.Column('programme_id', sa.Integer(), sa.ForeignKey('programmes.id', name='fk_programme_states_programme_id_programmes'), nullable=False),
        sa.Column('state_code', sa.String(2), nullable=False),
        sa.PrimaryKeyConstraint('programme_id', 'state_code', name='pk_programme_states'),
    )
    # Every state that already has an organisation is one of its programme's states.
    op.execute("INSERT INTO programme_states (programme_id, state_code) "
               "SELECT DISTINCT programme_id, state_code FROM organisations")
    op.create_table(
        'memberships',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), sa.ForeignKey('members.id', name='fk_memberships_member_id_members'), nullable=False),
        sa.Column('group_id', sa.Integer(), sa.ForeignKey('self_help_groups.id', name='fk_memberships_group_id_self_help_groups'), nullable=False),
        sa.Column('from_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('until_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('moved_by_id', sa.Integer(), sa.ForeignKey('users.id', name='fk_memberships_moved_by_id_users', ondelete='SET NULL'), nullable=True),
        sa.PrimaryKeyConstraint('id', name='pk_memberships'),
    )
    op.create_index('ix_memberships_member_id', 'memberships', ['member_id', 'from_at'])
    op.create_table(
        'listing_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), sa.ForeignKey('products.id', name='fk_listing_reports_product_id_products', ondelete='CASCADE'), nullable=False),
        sa.Column('reporter_id', sa.Integer(), sa.ForeignKey('users.id', name='fk_listing_reports_reporter_id_users', ondelete='SET NULL'), nullable=True),
        sa.Column('reason', sa.String(12), nullable=False),
        sa.Column('words', sa.String(500), nullable=False, server_default=''),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_by_id', sa.Integer(), sa.ForeignKey('users.id', name='fk_listing_reports_closed_by_id_users', ondelete='SET NULL'), nullable=True),
        sa.PrimaryKeyConstraint('id', name='pk_listing_reports'),
    )
    op.create_index('ix_listing_reports_open', 'listing_reports', ['closed_at', 'id'])
    op.create_index('ix_listing_reports_product_id', 'listing_reports', ['product_id'])
    op.create_table(
        'category_names',
        sa.Column('category_id', sa.Integer(), sa.ForeignKey('categories.id', name='fk_category_names_category_id_categories', ondelete='CASCADE'), nullable=False),
        sa.Column('locale', sa.String(8), nullable=False),
        sa.Column('name', sa.String(60), nullable=False),
        sa.PrimaryKeyConstraint('category_id', 'locale', name='pk_category_names'),
    )
    # A shop that moves with its owner mid-month counts that month's sales in each group it was in.
    with op.batch_alter_table('sales_months', recreate='always') as batch:
        batch.drop_constraint('pk_sales_months', type_='primary')
        batch.create_primary_key('pk_sales_months', ['month', 'business_id', 'category_id', 'group_id'])
    op.add_column('self_help_groups', sa.Column('closed_on', sa.Date(), nullable=True))
    op.add_column('users', sa.Column('suspended_reason', sa.String(300), nullable=True))
    op.add_column('products', sa.Column('hidden_reason', sa.String(12), nullable=True))
    op.add_column('businesses', sa.Column('hidden_reason', sa.String(12), nullable=True))
    op.add_column('categories', sa.Column('retired', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('categories', sa.Column('merged_into_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sales_months', recreate='always') as batch:
        batch.drop_constraint('pk_sales_months', type_='primary')
        batch.create_primary_key('pk_sales_months', ['month', 'business_id', 'category_id'])
    op.drop_column('categories', 'merged_into_id')
    op.drop_column('categories', 'retired')
    op.drop_column('businesses', 'hidden_reason')
    op.drop_column('products', 'hidden_reason')
    op.drop_column('users', 'suspended_reason')
    op.drop_column('self_help_groups', 'closed_on')
    op.drop_table('category_names')
    op.drop_index('ix_listing_reports_product_id', 'listing_reports')
    op.drop_index('ix_listing_reports_open', 'listing_reports')
    op.drop_table('listing_reports')
    op.drop_index('ix_memberships_member_id', 'memberships')
    op.drop_table('memberships')
    op.drop_table('programme_states')
