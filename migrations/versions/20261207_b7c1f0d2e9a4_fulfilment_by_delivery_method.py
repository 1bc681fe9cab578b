"""orders: fulfilment by delivery method (out for delivery, collected; courier name, tracking number and link)

Existing orders are mapped onto their method's path: a pickup order sent or delivered was ready or collected,
a local one ready or sent is out for delivery, a courier one marked ready is shipped (its tracking unknown).

Revision ID: b7c1f0d2e9a4
Revises: 0d688b17e03d
Create Date: 2026-12-07 21:40:00
"""
import re

import sqlalchemy as sa
from alembic import op

revision = 'b7c1f0d2e9a4'
down_revision = '0d688b17e03d'
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


def _status_check(states) -> None:
    """The orders' status CHECK lists `states`. On SQLite without copying the table: a batch copy drops `orders`,
    and with foreign keys on that deletes (cascades to) its lines, history and messages. SQLite's documented way
    for a CHECK change (https://www.sqlite.org/lang_altertable.html, "other kinds of schema changes"): the
    table's CREATE text is rewritten in place and the schema version bumped, no row touched."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.drop_constraint(op.f('ck_orders_status_known'), 'orders', type_='check')
        op.create_check_constraint(op.f('ck_orders_status_known'), 'orders', _listed(states))
        return
    created = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'orders'").scalar()
    rewritten, found = re.subn(r"(CONSTRAINT ck_orders_status_known CHECK \()status IN \([^)]*\)",
                               lambda m: m.group(1) + _listed(states), created)
    if found != 1:
        raise RuntimeError("orders: its status CHECK was not found where expected")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.execute(sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'orders'"),
                 {"sql": rewritten})
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade() -> None:
    # Plain ADD COLUMNs, no batch copy of `orders` (see _status_check).
    op.add_column('orders', sa.Column('courier_name', sa.String(60), server_default='', nullable=False))
    op.add_column('orders', sa.Column('tracking_number', sa.String(60), server_default='', nullable=False))
    op.add_column('orders', sa.Column('tracking_url', sa.String(300), server_default='', nullable=False))
    _status_check(NEW)
    _remap(UP)


def downgrade() -> None:
    _remap(DOWN)
    _status_check(OLD)
    op.drop_column('orders', 'tracking_url')
    op.drop_column('orders', 'tracking_number')
    op.drop_column('orders', 'courier_name')
