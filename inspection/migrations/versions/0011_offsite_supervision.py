"""off-site supervision: evidence per checklist point, requests, firms' records, targeted plans

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 11:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('catalogue_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offsite_deadline', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('offsite_extension', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('offsite_escalate_after', sa.Integer(), nullable=True))
    with op.batch_alter_table('checklist_points', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offsite_evidence', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('offsite_ask', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('offsite_data', sa.String(length=80), nullable=True))
    # Items of method offsite were checked off-site before: their points are proved by a document.
    op.execute("UPDATE checklist_points SET offsite_evidence = '[\"document\"]', offsite_ask = verify "
               "WHERE item_id IN (SELECT id FROM catalogue_items WHERE method = 'offsite')")
    op.execute("UPDATE catalogue_items SET offsite_deadline = 10, offsite_extension = 5, offsite_escalate_after = 5 "
               "WHERE method = 'offsite'")

    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('selection', sa.String(length=16), server_default='random', nullable=False))
        batch_op.add_column(sa.Column('on_site_reason', sa.Text(), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_inspection_plans_selection'), "selection in ('random','targeted')")
    with op.batch_alter_table('inspection_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('done_at', sa.DateTime(), nullable=True))

    op.create_table('offsite_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('extended_to', sa.Date(), nullable=True),
    sa.Column('extension_reason', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.Column('overdue_at', sa.DateTime(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('escalated_points', sa.JSON(), nullable=False),
    sa.Column('escalation_reason', sa.Text(), nullable=True),
    sa.Column('escalated_task_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status in ('sent','answered','closed','escalated')", name=op.f('ck_offsite_requests_status')),
    sa.CheckConstraint('extended_to is null or extended_to > deadline', name=op.f('ck_offsite_requests_extension_later')),
    sa.CheckConstraint("status != 'escalated' or escalation_reason is not null", name=op.f('ck_offsite_requests_escalation_reason')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_offsite_requests_department_id_departments')),
    sa.ForeignKeyConstraint(['escalated_task_id'], ['inspection_tasks.id'], name=op.f('fk_offsite_requests_escalated_task_id_inspection_tasks')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_offsite_requests_firm_id_firms')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['officers.id'], name=op.f('fk_offsite_requests_reviewed_by_id_officers')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_offsite_requests_sent_by_id_users')),
    sa.ForeignKeyConstraint(['task_id'], ['inspection_tasks.id'], name=op.f('fk_offsite_requests_task_id_inspection_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offsite_requests')),
    sa.UniqueConstraint('task_id', name=op.f('uq_offsite_requests_task_id'))
    )
    with op.batch_alter_table('offsite_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offsite_requests_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_offsite_requests_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_offsite_requests_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offsite_requests_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offsite_requests_status'), ['status'], unique=False)

    op.create_table('offsite_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind in ('file','answer','data')", name=op.f('ck_offsite_evidence_kind')),
    sa.CheckConstraint("kind != 'file' or (sha256 is not null and size is not null)", name=op.f('ck_offsite_evidence_file_checksum')),
    sa.ForeignKeyConstraint(['point_id'], ['checklist_points.id'], name=op.f('fk_offsite_evidence_point_id_checklist_points')),
    sa.ForeignKeyConstraint(['request_id'], ['offsite_requests.id'], name=op.f('fk_offsite_evidence_request_id_offsite_requests')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_offsite_evidence_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offsite_evidence'))
    )
    with op.batch_alter_table('offsite_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offsite_evidence_request_id'), ['request_id'], unique=False)

    op.create_table('firm_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('filed_on', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.CheckConstraint("kind in ('licence','annual_report')", name=op.f('ck_firm_records_kind')),
    sa.CheckConstraint("kind != 'annual_report' or year is not null", name=op.f('ck_firm_records_report_year')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_firm_records_firm_id_firms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_firm_records'))
    )
    with op.batch_alter_table('firm_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_firm_records_firm_id'), ['firm_id'], unique=False)

    # Results of off-site checks are findings and outcomes without a visit.
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.alter_column('visit_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('recorded_by_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('request_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_findings_request_id_offsite_requests'), 'offsite_requests',
                                    ['request_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_findings_request_id'), ['request_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_findings_request_id_point_id'), ['request_id', 'point_id'])
        batch_op.create_check_constraint(batch_op.f('ck_findings_visit_or_request'),
                                         'visit_id is not null or request_id is not null')
    with op.batch_alter_table('item_outcomes', schema=None) as batch_op:
        batch_op.alter_column('visit_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('request_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('rectified_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_item_outcomes_request_id_offsite_requests'), 'offsite_requests',
                                    ['request_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_item_outcomes_request_id'), ['request_id'], unique=False)
        batch_op.create_check_constraint(batch_op.f('ck_item_outcomes_visit_or_request'),
                                         'visit_id is not null or request_id is not null')


def downgrade() -> None:
    with op.batch_alter_table('item_outcomes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_item_outcomes_visit_or_request'), type_='check')
        batch_op.drop_index(batch_op.f('ix_item_outcomes_request_id'))
        batch_op.drop_constraint(batch_op.f('fk_item_outcomes_request_id_offsite_requests'), type_='foreignkey')
        batch_op.drop_column('rectified_at')
        batch_op.drop_column('request_id')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_findings_visit_or_request'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_findings_request_id_point_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_findings_request_id'))
        batch_op.drop_constraint(batch_op.f('fk_findings_request_id_offsite_requests'), type_='foreignkey')
        batch_op.drop_column('request_id')
    op.drop_table('firm_records')
    op.drop_table('offsite_evidence')
    op.drop_table('offsite_requests')
    with op.batch_alter_table('inspection_tasks', schema=None) as batch_op:
        batch_op.drop_column('done_at')
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_inspection_plans_selection'), type_='check')
        batch_op.drop_column('on_site_reason')
        batch_op.drop_column('selection')
    with op.batch_alter_table('checklist_points', schema=None) as batch_op:
        batch_op.drop_column('offsite_data')
        batch_op.drop_column('offsite_ask')
        batch_op.drop_column('offsite_evidence')
    with op.batch_alter_table('catalogue_items', schema=None) as batch_op:
        batch_op.drop_column('offsite_escalate_after')
        batch_op.drop_column('offsite_extension')
        batch_op.drop_column('offsite_deadline')
