"""members counted per SHG and organisation (area_members) for the programme and state pages, and the index the
SHG page reads its own area_months rows by

Revision ID: e5f6a7b8c9d1
Revises: 5e8a1c7d2b90
Create Date: 2026-12-08 00:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'e5f6a7b8c9d1'
down_revision = '5e8a1c7d2b90'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('area_members',
    sa.Column('level', sa.String(length=1), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('sold_in', sa.Date(), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('saving', sa.Boolean(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('state_code', sa.String(length=2), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('level', 'unit_id', 'sold_in', 'late', 'saving', name=op.f('pk_area_members'))
    )
    with op.batch_alter_table('area_months', schema=None) as batch_op:
        batch_op.create_index('ix_area_months_unit', ['level', 'unit_id', 'category_id', 'month'], unique=False)

    from sqlalchemy.orm import Session

    from market.reports.rollups import count_all_members

    session = Session(bind=op.get_bind())
    count_all_members(session)
    session.flush()


def downgrade() -> None:
    with op.batch_alter_table('area_months', schema=None) as batch_op:
        batch_op.drop_index('ix_area_months_unit')
    op.drop_table('area_members')
