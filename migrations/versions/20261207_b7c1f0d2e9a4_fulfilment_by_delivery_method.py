"""orders: fulfilment by delivery method (out for delivery, collected; courier name, tracking number and link)

Existing orders are mapped onto their method's path: a pickup order sent or delivered was ready or collected,
a local one ready or sent is out for delivery, a courier one marked ready is shipped (its tracking unknown).

Revision ID: b7c1f0d2e9a4
Revises: 5d2a8e61f0c3
Create Date: 2026-12-07 21:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'b7c1f0d2e9a4'
down_revision = '5d2a8e61f0c3'
branch_labels = None
depends_on = None

OLD = ('placed', 'confirmed', 'packed', 'ready_for_pickup', 'shipped', 'delivered', 'completed', 'cancelled',
       'refund_requested', 'refunded')
NEW = ('placed', 'confirmed', 'packed', 'ready_for_pickup', 'out_for_delivery', 'shipped', 'collected',
       'delivered', 'completed', 'cancelled', 'refund_requested', 'refunded')
# (delivery, old state) -> new state; the same for the history's from and to states
UP = [('pickup', 'shipped', 'ready_for_pickup'), ('pickup', 'delivered', 'collected'),
      ('local', 'ready_for_pickup', 'out_for_delivery'), ('local', 'shipped', 'out_for_delivery'),
      ('courier', 'ready_for_pickup', 'shipped')]
DOWN = [('pickup', 'collected', 'delivered'), ('local', 'out_for_delivery', 'shipped')]


def _listed(states) -> str:
    return "status IN (" + ", ".join(f"'{s}'" for s in states) + ")"


def _remap(pairs) -> None:
    for delivery, old, new in pairs:
        op.execute(sa.text("UPDATE orders SET status = :new WHERE delivery = :d AND status = :old")
                   .bindparams(new=new, d=delivery, old=old))
        op.execute(sa.text("UPDATE order_events SET from_status = :new WHERE from_status = :old "
                           "AND order_id IN (SELECT id FROM orders WHERE delivery = :d)")
                   .bindparams(new=new, d=delivery, old=old))
        op.execute(sa.text("UPDATE order_events SET to_status = :new WHERE to_status = :old "
                           "AND order_id IN (SELECT id FROM orders WHERE delivery = :d)")
                   .bindparams(new=new, d=delivery, old=old))


def upgrade() -> None:
    with op.batch_alter_table('orders') as batch:
        batch.add_column(sa.Column('courier_name', sa.String(60), server_default='', nullable=False))
        batch.add_column(sa.Column('tracking_number', sa.String(60), server_default='', nullable=False))
        batch.add_column(sa.Column('tracking_url', sa.String(300), server_default='', nullable=False))
        batch.drop_constraint(op.f('ck_orders_status_known'), type_='check')
        batch.create_check_constraint(op.f('ck_orders_status_known'), _listed(NEW))
    _remap(UP)


def downgrade() -> None:
    _remap(DOWN)
    with op.batch_alter_table('orders') as batch:
        batch.drop_constraint(op.f('ck_orders_status_known'), type_='check')
        batch.create_check_constraint(op.f('ck_orders_status_known'), _listed(OLD))
        batch.drop_column('tracking_url')
        batch.drop_column('tracking_number')
        batch.drop_column('courier_name')
