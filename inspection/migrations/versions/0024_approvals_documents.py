"""approvals and documents: the department head role, plan approvals (行政检查审批表), numbered documents
and their counters, the firm's acknowledgements and the on-site record's signature

Revision ID: 0024
Revises: 0023b
Create Date: 2026-12-05 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_role'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_users_department_roles_have_department'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_users_role'),
            "role in ('department','department_head','inspector','enterprise','oversight','admin')")
        batch_op.create_check_constraint(
            batch_op.f('ck_users_department_roles_have_department'),
            "role not in ('department','department_head','inspector') or department_id is not null")
    op.create_table('document_counters',
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_document_counters_department_id_departments')),
    sa.PrimaryKeyConstraint('department_id', 'kind', 'year', name=op.f('pk_document_counters'))
    )
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('verify_token', sa.String(length=32), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('firm_id', sa.Integer(), nullable=True),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind in ('approval','notice','record','result')", name=op.f('ck_documents_kind')),
    sa.CheckConstraint('serial >= 1', name=op.f('ck_documents_serial_positive')),
    sa.ForeignKeyConstraint(['corrects_id'], ['documents.id'], name=op.f('fk_documents_corrects_id_documents')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_documents_department_id_departments')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_documents_firm_id_firms')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_documents_issued_by_id_users')),
    sa.ForeignKeyConstraint(['plan_id'], ['inspection_plans.id'], name=op.f('fk_documents_plan_id_inspection_plans')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_documents_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('corrects_id', name=op.f('uq_documents_corrects_id')),
    sa.UniqueConstraint('department_id', 'kind', 'year', 'serial', name=op.f('uq_documents_department_id_kind_year_serial')),
    sa.UniqueConstraint('number', name=op.f('uq_documents_number')),
    sa.UniqueConstraint('verify_token', name=op.f('uq_documents_verify_token'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_documents_visit_id'), ['visit_id'], unique=False)
    op.create_table('plan_approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('task_source', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('legal_basis', sa.JSON(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('frequency', sa.Text(), nullable=False),
    sa.Column('officers', sa.JSON(), nullable=False),
    sa.Column('opinion', sa.Text(), nullable=False),
    sa.Column('afterwards', sa.Boolean(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("decision in ('approved','refused')", name=op.f('ck_plan_approvals_decision')),
    sa.CheckConstraint("task_source in ('annual_plan','random','complaint','referral','accident','other')", name=op.f('ck_plan_approvals_task_source')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_plan_approvals_decided_by_id_users')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_plan_approvals_department_id_departments')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_plan_approvals_document_id_documents')),
    sa.ForeignKeyConstraint(['plan_id'], ['inspection_plans.id'], name=op.f('fk_plan_approvals_plan_id_inspection_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_approvals'))
    )
    with op.batch_alter_table('plan_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_approvals_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_approvals_plan_id'), ['plan_id'], unique=False)
    op.create_table('document_acknowledgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_acknowledgements_document_id_documents')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_document_acknowledgements_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_acknowledgements')),
    sa.UniqueConstraint('document_id', name=op.f('uq_document_acknowledgements_document_id'))
    )
    op.create_table('record_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('signer_name', sa.String(length=64), nullable=True),
    sa.Column('signature_png', sa.LargeBinary(), nullable=True),
    sa.Column('signature_sha256', sa.String(length=64), nullable=True),
    sa.Column('refused', sa.Boolean(), nullable=False),
    sa.Column('witness', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('not refused or witness is not null', name=op.f('ck_record_signatures_refusal_witnessed')),
    sa.CheckConstraint('refused or (signature_png is not null and signer_name is not null)', name=op.f('ck_record_signatures_signed')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_record_signatures_document_id_documents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_signatures')),
    sa.UniqueConstraint('document_id', name=op.f('uq_record_signatures_document_id'))
    )


def downgrade() -> None:
    op.drop_table('record_signatures')
    op.drop_table('document_acknowledgements')
    with op.batch_alter_table('plan_approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_approvals_plan_id'))
        batch_op.drop_index(batch_op.f('ix_plan_approvals_department_id'))
    op.drop_table('plan_approvals')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_visit_id'))
        batch_op.drop_index(batch_op.f('ix_documents_sha256'))
        batch_op.drop_index(batch_op.f('ix_documents_plan_id'))
        batch_op.drop_index(batch_op.f('ix_documents_firm_id'))
        batch_op.drop_index(batch_op.f('ix_documents_department_id'))
    op.drop_table('documents')
    op.drop_table('document_counters')
    op.execute("DELETE FROM users WHERE role = 'department_head'")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_role'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_users_department_roles_have_department'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_users_role'),
                                         "role in ('department','inspector','enterprise','oversight','admin')")
        batch_op.create_check_constraint(batch_op.f('ck_users_department_roles_have_department'),
                                         "role not in ('department','inspector') or department_id is not null")
