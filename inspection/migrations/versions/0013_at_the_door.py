"""at the door: unplanned and emergency entries, offline records and devices, scan-time prompts and
invitations, the firm's refusal reports, advance notice

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 16:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('firm_leads', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_firm_leads_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_firm_leads_kind'), "kind in ('complaint','referral','accident')")

    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=16), server_default='planned', nullable=False))
        batch_op.add_column(sa.Column('lead_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('emergency_kind', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('entered_before', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('backfile_due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('backfiled_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_visits_lead_id_firm_leads'), 'firm_leads', ['lead_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_visits_origin'), "origin in ('planned','unplanned','emergency')")
        batch_op.create_check_constraint(batch_op.f('ck_visits_unplanned_lead'), "origin != 'unplanned' or lead_id is not null")
        batch_op.create_check_constraint(
            batch_op.f('ck_visits_emergency_backfile'),
            "origin != 'emergency' or (backfile_due is not null and emergency_kind in ('accident','hazard'))")
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('synced_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('visit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_offline', sa.Boolean(), server_default='0', nullable=False))
    with op.batch_alter_table('entry_facts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=16), server_default='planned', nullable=False))
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_days', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_inspection_plans_notice_days'),
                                         'notice_days is null or notice_days between 1 and 30')
    with op.batch_alter_table('catalogue_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('advance_notice', sa.Boolean(), server_default='1', nullable=False))
    op.execute("UPDATE catalogue_items SET advance_notice = " + ("0" if op.get_bind().dialect.name == "sqlite" else "false")
               + " WHERE method IN ('key', 'special')")

    op.create_table('officer_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('public_key', sa.JSON(), nullable=False),
    sa.Column('registered_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_officer_devices_officer_id_officers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_officer_devices')),
    sa.UniqueConstraint('key_id', name=op.f('uq_officer_devices_key_id'))
    )
    with op.batch_alter_table('officer_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_officer_devices_officer_id'), ['officer_id'], unique=False)

    op.create_table('offline_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('signature', sa.String(length=200), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind in ('scan_in','finding','outcome','scan_out')", name=op.f('ck_offline_records_kind')),
    sa.CheckConstraint("status in ('applied','pending','refused')", name=op.f('ck_offline_records_status')),
    sa.ForeignKeyConstraint(['device_id'], ['officer_devices.id'], name=op.f('fk_offline_records_device_id_officer_devices')),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_offline_records_officer_id_officers')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_offline_records_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offline_records')),
    sa.UniqueConstraint('client_id', name=op.f('uq_offline_records_client_id'))
    )
    with op.batch_alter_table('offline_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offline_records_officer_id'), ['officer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_offline_records_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_offline_records_visit_id'), ['visit_id'], unique=False)

    op.create_table('scan_prompts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('recent_visits', sa.Integer(), nullable=False),
    sa.Column('open_tasks', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("outcome is null or outcome in ('joined','avoided')", name=op.f('ck_scan_prompts_outcome')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_scan_prompts_department_id_departments')),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_scan_prompts_officer_id_officers')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_scan_prompts_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_prompts'))
    )
    with op.batch_alter_table('scan_prompts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scan_prompts_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_scan_prompts_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scan_prompts_visit_id'), ['visit_id'], unique=False)

    op.create_table('join_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('prompt_id', sa.Integer(), nullable=True),
    sa.Column('invited_by_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('joined_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status in ('open','joined')", name=op.f('ck_join_invitations_status')),
    sa.ForeignKeyConstraint(['invited_by_id'], ['officers.id'], name=op.f('fk_join_invitations_invited_by_id_officers')),
    sa.ForeignKeyConstraint(['prompt_id'], ['scan_prompts.id'], name=op.f('fk_join_invitations_prompt_id_scan_prompts')),
    sa.ForeignKeyConstraint(['task_id'], ['inspection_tasks.id'], name=op.f('fk_join_invitations_task_id_inspection_tasks')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_join_invitations_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_join_invitations'))
    )
    with op.batch_alter_table('join_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_join_invitations_task_id'), ['task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_join_invitations_visit_id'), ['visit_id'], unique=False)

    op.create_table('refusal_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('reported_by_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('officers', sa.Text(), nullable=False),
    sa.Column('department', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_refusal_reports_firm_id_firms')),
    sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'], name=op.f('fk_refusal_reports_reported_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refusal_reports'))
    )
    with op.batch_alter_table('refusal_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refusal_reports_firm_id'), ['firm_id'], unique=False)


def downgrade() -> None:
    op.drop_table('refusal_reports')
    op.drop_table('join_invitations')
    op.drop_table('scan_prompts')
    op.drop_table('offline_records')
    op.drop_table('officer_devices')
    with op.batch_alter_table('catalogue_items', schema=None) as batch_op:
        batch_op.drop_column('advance_notice')
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_inspection_plans_notice_days'), type_='check')
        batch_op.drop_column('notice_days')
    with op.batch_alter_table('entry_facts', schema=None) as batch_op:
        batch_op.drop_column('origin')
    with op.batch_alter_table('visit_entries', schema=None) as batch_op:
        batch_op.drop_column('recorded_offline')
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_column('synced_at')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_visits_emergency_backfile'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_visits_unplanned_lead'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_visits_origin'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_visits_lead_id_firm_leads'), type_='foreignkey')
        batch_op.drop_column('backfiled_at')
        batch_op.drop_column('backfile_due')
        batch_op.drop_column('entered_before')
        batch_op.drop_column('emergency_kind')
        batch_op.drop_column('lead_id')
        batch_op.drop_column('origin')
    with op.batch_alter_table('firm_leads', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_firm_leads_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_firm_leads_kind'), "kind in ('complaint','referral')")
