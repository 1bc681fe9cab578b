"""one jobs table for every long task; the import and onboarding job tables go

Revision ID: 5c1d2e3f4a6b
Revises: a1f3c9d2e7b4
Create Date: 2026-12-07 19:40:00

The old tables' rows are dropped, not moved: they are finished uploads (their files were never kept) and a job
left "running" by a restarted web worker would only ever show a page polling forever; the audit log keeps who
uploaded what (bulk_import, bulk_onboarding).
"""
import sqlalchemy as sa
from alembic import op

import market.core.db  # noqa: F401 - UTCDateTime

revision = '5c1d2e3f4a6b'
down_revision = 'a1f3c9d2e7b4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('created_at', market.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', market.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_until', market.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('errors', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_jobs_status_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_jobs_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_jobs_status_lease', ['status', 'lease_until'], unique=False)
    op.drop_table('import_jobs')
    op.drop_table('onboarding_jobs')


def downgrade() -> None:
    op.create_table('import_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('business_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', market.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_import_jobs_status_known')),
    sa.ForeignKeyConstraint(['business_id'], ['businesses.id'], name=op.f('fk_import_jobs_business_id_businesses')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_import_jobs_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_jobs'))
    )
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_jobs_business_id'), ['business_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_jobs_created_by_id'), ['created_by_id'], unique=False)
    op.create_table('onboarding_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', market.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('groups_created', sa.Integer(), nullable=False),
    sa.Column('members_created', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('queued', 'checking', 'saving', 'done', 'failed')", name=op.f('ck_onboarding_jobs_status_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_onboarding_jobs_created_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_onboarding_jobs_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_jobs'))
    )
    with op.batch_alter_table('onboarding_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_onboarding_jobs_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_onboarding_jobs_organisation_id'), ['organisation_id'], unique=False)
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_status_lease')
        batch_op.drop_index(batch_op.f('ix_jobs_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_jobs_created_by_id'))
    op.drop_table('jobs')
