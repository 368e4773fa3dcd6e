"""visits and schedule runs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 15:47:18.446651
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('schedule_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('plan_ids', sa.JSON(), nullable=False),
    sa.Column('progress', sa.Float(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('stats', sa.JSON(), nullable=False),
    sa.Column('unscheduled', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status in ('queued','running','done','failed')", name=op.f('ck_schedule_runs_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_schedule_runs_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_runs'))
    )
    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('schedule_run_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status in ('proposed','confirmed','in_progress','completed','cancelled')", name=op.f('ck_visits_status')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_visits_firm_id_firms')),
    sa.ForeignKeyConstraint(['schedule_run_id'], ['schedule_runs.id'], name=op.f('fk_visits_schedule_run_id_schedule_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_schedule_run_id'), ['schedule_run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_status'), ['status'], unique=False)

    op.create_table('officer_rankings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('chosen', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_officer_rankings_department_id_departments')),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_officer_rankings_officer_id_officers')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_officer_rankings_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_officer_rankings'))
    )
    with op.batch_alter_table('officer_rankings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_officer_rankings_visit_id'), ['visit_id'], unique=False)

    op.create_table('visit_officers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_visit_officers_department_id_departments')),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_visit_officers_officer_id_officers')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_officers_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_officers')),
    sa.UniqueConstraint('visit_id', 'officer_id', name=op.f('uq_visit_officers_visit_id_officer_id'))
    )
    with op.batch_alter_table('visit_officers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_officers_officer_id'), ['officer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_officers_visit_id'), ['visit_id'], unique=False)

    with op.batch_alter_table('inspection_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visit_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('unscheduled_reason', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_inspection_tasks_visit_id'), ['visit_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_inspection_tasks_visit_id_visits'), 'visits', ['visit_id'], ['id'], ondelete='SET NULL')




def downgrade() -> None:

    with op.batch_alter_table('inspection_tasks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_inspection_tasks_visit_id_visits'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_inspection_tasks_visit_id'))
        batch_op.drop_column('unscheduled_reason')
        batch_op.drop_column('visit_id')

    with op.batch_alter_table('visit_officers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_officers_visit_id'))
        batch_op.drop_index(batch_op.f('ix_visit_officers_officer_id'))

    op.drop_table('visit_officers')
    with op.batch_alter_table('officer_rankings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_officer_rankings_visit_id'))

    op.drop_table('officer_rankings')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_status'))
        batch_op.drop_index(batch_op.f('ix_visits_schedule_run_id'))
        batch_op.drop_index(batch_op.f('ix_visits_firm_id'))
        batch_op.drop_index(batch_op.f('ix_visits_day'))

    op.drop_table('visits')
    op.drop_table('schedule_runs')

