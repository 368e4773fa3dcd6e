"""entries, findings, evaluations

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 16:22:58.182768
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('entry_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('retired_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_entry_tokens_firm_id_firms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entry_tokens')),
    sa.UniqueConstraint('token', name=op.f('uq_entry_tokens_token'))
    )
    with op.batch_alter_table('entry_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entry_tokens_firm_id'), ['firm_id'], unique=False)

    op.create_table('evaluations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('complaint', sa.String(length=24), nullable=True),
    sa.Column('by_user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("complaint is null or complaint in ('without_cause','excessive','improper_conduct')", name=op.f('ck_evaluations_complaint')),
    sa.CheckConstraint('score between 1 and 5', name=op.f('ck_evaluations_score')),
    sa.ForeignKeyConstraint(['by_user_id'], ['users.id'], name=op.f('fk_evaluations_by_user_id_users')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_evaluations_firm_id_firms')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_evaluations_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluations')),
    sa.UniqueConstraint('visit_id', name=op.f('uq_evaluations_visit_id'))
    )
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluations_firm_id'), ['firm_id'], unique=False)

    op.create_table('scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=True),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.CheckConstraint("kind in ('in','out')", name=op.f('ck_scans_kind')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_scans_firm_id_firms')),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_scans_officer_id_officers')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_scans_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scans'))
    )
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scans_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_scans_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scans_officer_id'), ['officer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scans_visit_id'), ['visit_id'], unique=False)

    op.create_table('visit_entries',
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('entered_at', sa.DateTime(), nullable=False),
    sa.Column('left_at', sa.DateTime(), nullable=True),
    sa.Column('code_nonce', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_entries_visit_id_visits')),
    sa.PrimaryKeyConstraint('visit_id', name=op.f('pk_visit_entries'))
    )
    op.create_table('findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('photo', sa.String(length=200), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("result in ('compliant','non_compliant','not_applicable')", name=op.f('ck_findings_result')),
    sa.ForeignKeyConstraint(['item_id'], ['catalogue_items.id'], name=op.f('fk_findings_item_id_catalogue_items')),
    sa.ForeignKeyConstraint(['point_id'], ['checklist_points.id'], name=op.f('fk_findings_point_id_checklist_points')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['officers.id'], name=op.f('fk_findings_recorded_by_id_officers')),
    sa.ForeignKeyConstraint(['task_id'], ['inspection_tasks.id'], name=op.f('fk_findings_task_id_inspection_tasks')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_findings_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_findings')),
    sa.UniqueConstraint('visit_id', 'task_id', 'point_id', name=op.f('uq_findings_visit_id_task_id_point_id'))
    )
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_findings_visit_id'), ['visit_id'], unique=False)

    op.create_table('item_outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('rectify_by', sa.Date(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('publish_due', sa.Date(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("outcome != 'rectify' or rectify_by is not null", name=op.f('ck_item_outcomes_rectify_date')),
    sa.CheckConstraint("outcome in ('no_problem','rectify','case')", name=op.f('ck_item_outcomes_outcome')),
    sa.ForeignKeyConstraint(['item_id'], ['catalogue_items.id'], name=op.f('fk_item_outcomes_item_id_catalogue_items')),
    sa.ForeignKeyConstraint(['task_id'], ['inspection_tasks.id'], name=op.f('fk_item_outcomes_task_id_inspection_tasks')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_item_outcomes_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_outcomes')),
    sa.UniqueConstraint('visit_id', 'task_id', 'item_id', name=op.f('uq_item_outcomes_visit_id_task_id_item_id'))
    )
    with op.batch_alter_table('item_outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_outcomes_publish_due'), ['publish_due'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_outcomes_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_outcomes_visit_id'), ['visit_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('item_outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_outcomes_visit_id'))
        batch_op.drop_index(batch_op.f('ix_item_outcomes_published_at'))
        batch_op.drop_index(batch_op.f('ix_item_outcomes_publish_due'))

    op.drop_table('item_outcomes')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_findings_visit_id'))

    op.drop_table('findings')
    op.drop_table('visit_entries')
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scans_visit_id'))
        batch_op.drop_index(batch_op.f('ix_scans_officer_id'))
        batch_op.drop_index(batch_op.f('ix_scans_firm_id'))
        batch_op.drop_index(batch_op.f('ix_scans_at'))

    op.drop_table('scans')
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluations_firm_id'))

    op.drop_table('evaluations')
    with op.batch_alter_table('entry_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entry_tokens_firm_id'))

    op.drop_table('entry_tokens')

