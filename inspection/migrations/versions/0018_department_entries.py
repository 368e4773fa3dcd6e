"""department entries: each department of a joint visit enters and leaves on its own; missed parts

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'department_entries',
        sa.Column('visit_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('entered_at', sa.DateTime(), nullable=False),
        sa.Column('left_at', sa.DateTime(), nullable=True),
        sa.Column('recorded_offline', sa.Boolean(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'],
                                name=op.f('fk_department_entries_department_id_departments')),
        sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_department_entries_visit_id_visits')),
        sa.PrimaryKeyConstraint('visit_id', 'department_id', name=op.f('pk_department_entries')),
    )
    op.create_table(
        'missed_parts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('visit_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('tasks', sa.JSON(), nullable=False),
        sa.Column('scanned', sa.JSON(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'],
                                name=op.f('fk_missed_parts_department_id_departments')),
        sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_missed_parts_visit_id_visits')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_missed_parts')),
        sa.UniqueConstraint('visit_id', 'department_id', name=op.f('uq_missed_parts_visit_id_department_id')),
    )
    with op.batch_alter_table('missed_parts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_missed_parts_visit_id'), ['visit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_missed_parts_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_missed_parts_at'), ['at'], unique=False)

    # Entries made before each department entered on its own: every department of an entered visit's
    # tasks was there from the visit's entry to its exit.
    entries = sa.table('visit_entries', sa.column('visit_id', sa.Integer()), sa.column('entered_at', sa.DateTime()),
                       sa.column('left_at', sa.DateTime()), sa.column('recorded_offline', sa.Boolean()))
    tasks = sa.table('inspection_tasks', sa.column('visit_id', sa.Integer()), sa.column('plan_id', sa.Integer()))
    plans = sa.table('inspection_plans', sa.column('id', sa.Integer()), sa.column('department_id', sa.Integer()))
    parts = (sa.select(entries.c.visit_id, plans.c.department_id, entries.c.entered_at, entries.c.left_at,
                       entries.c.recorded_offline)
             .join(tasks, tasks.c.visit_id == entries.c.visit_id).join(plans, plans.c.id == tasks.c.plan_id)
             .distinct())
    department_entries = sa.table('department_entries', sa.column('visit_id'), sa.column('department_id'),
                                  sa.column('entered_at'), sa.column('left_at'), sa.column('recorded_offline'))
    op.execute(department_entries.insert().from_select(
        ['visit_id', 'department_id', 'entered_at', 'left_at', 'recorded_offline'], parts))

    # Entry facts count the certified officers of each department, not of the whole visit.
    facts = sa.table('entry_facts', sa.column('visit_id', sa.Integer()), sa.column('department_id', sa.Integer()),
                     sa.column('day', sa.Date()), sa.column('certified', sa.Integer()))
    scans = sa.table('scans', sa.column('visit_id', sa.Integer()), sa.column('officer_id', sa.Integer()),
                     sa.column('kind', sa.String()), sa.column('accepted', sa.Boolean()))
    officers = sa.table('officers', sa.column('id', sa.Integer()), sa.column('department_id', sa.Integer()),
                        sa.column('active', sa.Boolean()), sa.column('kind', sa.String()),
                        sa.column('valid_from', sa.Date()), sa.column('valid_to', sa.Date()))
    certified = (sa.select(sa.func.count(sa.distinct(officers.c.id)))
                 .select_from(scans.join(officers, officers.c.id == scans.c.officer_id))
                 .where(scans.c.visit_id == facts.c.visit_id, scans.c.kind == 'in', scans.c.accepted.is_(True),
                        officers.c.department_id == facts.c.department_id, officers.c.active.is_(True),
                        officers.c.kind == 'enforcement', officers.c.valid_from <= facts.c.day,
                        officers.c.valid_to >= facts.c.day)
                 .scalar_subquery())
    op.execute(facts.update().values(certified=certified))
    # Facts made before visits had an origin kept the column's default: they take their visit's.
    facts_origin = sa.table('entry_facts', sa.column('visit_id', sa.Integer()), sa.column('origin', sa.String()))
    visits = sa.table('visits', sa.column('id', sa.Integer()), sa.column('origin', sa.String()))
    op.execute(facts_origin.update().values(origin=sa.select(visits.c.origin).where(
        visits.c.id == facts_origin.c.visit_id).scalar_subquery()))


def downgrade() -> None:
    with op.batch_alter_table('missed_parts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_missed_parts_at'))
        batch_op.drop_index(batch_op.f('ix_missed_parts_department_id'))
        batch_op.drop_index(batch_op.f('ix_missed_parts_visit_id'))
    op.drop_table('missed_parts')
    op.drop_table('department_entries')
