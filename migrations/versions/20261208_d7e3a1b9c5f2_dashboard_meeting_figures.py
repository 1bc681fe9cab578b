"""the dashboards' meeting and group-fund figures: meeting columns of area_months, savings at meetings and from
sales (area_months, member_months), group_meetings and internal_loans; counted once from what is recorded

Revision ID: d7e3a1b9c5f2
Revises: d4e5f6a7b8c9
Create Date: 2026-12-08 00:40:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = 'd7e3a1b9c5f2'
down_revision = 'd4e5f6a7b8c9'
branch_labels = None
depends_on = None

AREA = ('meetings', 'groups_met', 'attendance_rows', 'present')
MONEY = ('field_saved_paise', 'sales_saved_paise')


def upgrade() -> None:
    with op.batch_alter_table('area_months') as batch:
        for name in AREA:
            batch.add_column(sa.Column(name, sa.Integer(), server_default='0', nullable=False))
        for name in MONEY:
            batch.add_column(sa.Column(name, sa.BigInteger(), server_default='0', nullable=False))
    with op.batch_alter_table('member_months') as batch:
        for name in MONEY:
            batch.add_column(sa.Column(name, sa.BigInteger(), server_default='0', nullable=False))
    op.create_table(
        'group_meetings',
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('state_code', sa.String(length=2), nullable=False),
        sa.Column('first_month', sa.Date(), nullable=False),
        sa.Column('last_held_on', sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint('group_id'))
    op.create_index('ix_group_meetings_organisation', 'group_meetings', ['organisation_id'])
    op.create_index('ix_group_meetings_state', 'group_meetings', ['state_code'])
    op.create_table(
        'internal_loans',
        sa.Column('loan_id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('state_code', sa.String(length=2), nullable=False),
        sa.Column('outstanding_paise', sa.BigInteger(), nullable=False),
        sa.Column('unpaid_since', sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint('loan_id'))
    op.create_index('ix_internal_loans_organisation', 'internal_loans', ['organisation_id'])
    op.create_index('ix_internal_loans_state', 'internal_loans', ['state_code'])
    op.create_index('ix_internal_loans_group', 'internal_loans', ['group_id'])
    # Meetings already recorded count at once: the rollups are derived again from the records (what
    # `dashboards rebuild` does), as the migration that added area_months did.
    from market.reports import rollups

    session = Session(bind=op.get_bind())
    rollups.derive(session)
    session.flush()


def downgrade() -> None:
    op.drop_index('ix_internal_loans_group', table_name='internal_loans')
    op.drop_index('ix_internal_loans_state', table_name='internal_loans')
    op.drop_index('ix_internal_loans_organisation', table_name='internal_loans')
    op.drop_table('internal_loans')
    op.drop_index('ix_group_meetings_state', table_name='group_meetings')
    op.drop_index('ix_group_meetings_organisation', table_name='group_meetings')
    op.drop_table('group_meetings')
    with op.batch_alter_table('member_months') as batch:
        for name in MONEY:
            batch.drop_column(name)
    with op.batch_alter_table('area_months') as batch:
        for name in (*AREA, *MONEY):
            batch.drop_column(name)
