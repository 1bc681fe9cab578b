"""quotes: every offer kept (who offered what, stock or made to order, advance, valid until); an order's advance

Revision ID: 7a9c4e2b1d30
Revises: 5d2a8e61f0c3
Create Date: 2026-12-07 21:40:00
"""
import sqlalchemy as sa
from alembic import op

import market.core.db

revision = '7a9c4e2b1d30'
down_revision = '5d2a8e61f0c3'
branch_labels = None
depends_on = None

NEW = "status IN ('requested', 'offered', 'countered', 'accepted', 'declined', 'ordered')"
OLD = "status IN ('requested', 'countered', 'accepted', 'declined', 'ordered')"


def upgrade() -> None:
    # quote_requests first: on SQLite its batch copy drops the old table, and with foreign keys on that deletes
    # (cascades to) the rows pointing at it, so quote_offers must still be empty then.
    with op.batch_alter_table('quote_requests', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_quote_requests_status_known'), type_='check')
    op.execute("UPDATE quote_requests SET status = 'offered' WHERE status = 'countered'")  # "seller sent a price"
    with op.batch_alter_table('quote_requests', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_quote_requests_status_known'), NEW)
    op.create_table('quote_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quote_id', sa.Integer(), nullable=False),
    sa.Column('side', sa.String(length=6), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('price_paise', sa.Integer(), nullable=False),
    sa.Column('from_stock', sa.Boolean(), nullable=False),
    sa.Column('ready_by', sa.Date(), nullable=True),
    sa.Column('advance_percent', sa.Integer(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('at', market.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("side IN ('buyer', 'seller')", name=op.f('ck_quote_offers_side_known')),
    sa.CheckConstraint('price_paise > 0', name=op.f('ck_quote_offers_price_positive')),
    sa.CheckConstraint('advance_percent BETWEEN 0 AND 100', name=op.f('ck_quote_offers_advance_percent_sane')),
    sa.CheckConstraint('from_stock OR ready_by IS NOT NULL', name=op.f('ck_quote_offers_made_to_order_has_date')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_quote_offers_actor_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['quote_id'], ['quote_requests.id'], name=op.f('fk_quote_offers_quote_id_quote_requests'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_offers'))
    )
    op.create_index(op.f('ix_quote_offers_quote_id'), 'quote_offers', ['quote_id'], unique=False)
    # A price the seller sent before offers were kept becomes her first offer (valid until the date needed).
    op.execute("INSERT INTO quote_offers (quote_id, side, price_paise, from_stock, ready_by, advance_percent, "
               "valid_until, note, at) "
               "SELECT q.id, 'seller', q.counter_price_paise, NOT p.made_to_order, "
               "CASE WHEN p.made_to_order THEN q.needed_by END, 0, q.needed_by, '', q.updated_at "
               "FROM quote_requests q JOIN variants v ON v.id = q.variant_id JOIN products p ON p.id = v.product_id "
               "WHERE q.counter_price_paise IS NOT NULL")
    # A plain ADD COLUMN, no batch copy: copying `orders` on SQLite would delete its lines and history (cascades).
    op.add_column('orders', sa.Column('advance_percent', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    op.drop_column('orders', 'advance_percent')
    # The last price on the table becomes the seller's one price again; then the offers go, before quote_requests
    # is copied (see upgrade).
    op.execute("UPDATE quote_requests SET counter_price_paise = (SELECT o.price_paise FROM quote_offers o "
               "WHERE o.quote_id = quote_requests.id ORDER BY o.id DESC LIMIT 1) "
               "WHERE EXISTS (SELECT 1 FROM quote_offers o WHERE o.quote_id = quote_requests.id)")
    op.execute("UPDATE quote_requests SET status = 'countered' WHERE status = 'offered'")
    op.execute("UPDATE quote_requests SET status = 'requested' WHERE status = 'countered' "
               "AND counter_price_paise IS NULL")
    op.drop_index(op.f('ix_quote_offers_quote_id'), table_name='quote_offers')
    op.drop_table('quote_offers')
    with op.batch_alter_table('quote_requests', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_quote_requests_status_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_quote_requests_status_known'), OLD)
