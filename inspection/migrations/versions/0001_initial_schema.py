"""initial schema: catalogue, districts, firms, officers, users, plans, event log

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 15:32:49.502069
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('catalogue_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('loaded_at', sa.DateTime(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status in ('draft','published','revoked')", name=op.f('ck_catalogue_versions_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_versions')),
    sa.UniqueConstraint('version', name=op.f('uq_catalogue_versions_version'))
    )
    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('short_name', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('code', name=op.f('uq_departments_code')),
    sa.UniqueConstraint('name', name=op.f('uq_departments_name'))
    )
    op.create_table('districts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_districts')),
    sa.UniqueConstraint('code', name=op.f('uq_districts_code')),
    sa.UniqueConstraint('name', name=op.f('uq_districts_name'))
    )
    event_head = op.create_table('event_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_head'))
    )
    # The chain's head exists from the start: writers lock this row to append in order.
    op.bulk_insert(event_head, [{"id": 1, "seq": 0, "hash": "0" * 64}])
    op.create_table('events',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=48), nullable=False),
    sa.Column('actor', sa.String(length=96), nullable=False),
    sa.Column('subject', sa.String(length=96), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('prev', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_events')),
    sa.UniqueConstraint('hash', name=op.f('uq_events_hash'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_subject'), ['subject'], unique=False)

    op.create_table('catalogue_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('catalogue_version_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('target_type', sa.String(length=200), nullable=False),
    sa.Column('legal_basis', sa.JSON(), nullable=False),
    sa.Column('scope_industries', sa.JSON(), nullable=False),
    sa.Column('scope_tags', sa.JSON(), nullable=False),
    sa.Column('frequency_cap', sa.Integer(), nullable=False),
    sa.Column('qualification', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("category in ('general','key')", name=op.f('ck_catalogue_items_category')),
    sa.CheckConstraint("method in ('random','key','special','offsite')", name=op.f('ck_catalogue_items_method')),
    sa.CheckConstraint("status in ('draft','published','revoked')", name=op.f('ck_catalogue_items_status')),
    sa.CheckConstraint('frequency_cap >= 1', name=op.f('ck_catalogue_items_frequency_cap_positive')),
    sa.ForeignKeyConstraint(['catalogue_version_id'], ['catalogue_versions.id'], name=op.f('fk_catalogue_items_catalogue_version_id_catalogue_versions')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_catalogue_items_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_items')),
    sa.UniqueConstraint('code', 'version', name=op.f('uq_catalogue_items_code_version'))
    )
    with op.batch_alter_table('catalogue_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalogue_items_catalogue_version_id'), ['catalogue_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalogue_items_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalogue_items_department_id'), ['department_id'], unique=False)

    op.create_table('department_districts',
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_department_districts_department_id_departments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_department_districts_district_id_districts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('department_id', 'district_id', name=op.f('pk_department_districts'))
    )
    op.create_table('firms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('industry', sa.String(length=32), nullable=False),
    sa.Column('credit_class', sa.String(length=1), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.CheckConstraint("credit_class in ('A','B','C','D')", name=op.f('ck_firms_credit_class')),
    sa.CheckConstraint('length(uscc) = 18', name=op.f('ck_firms_uscc_length')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_firms_district_id_districts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_firms')),
    sa.UniqueConstraint('uscc', name=op.f('uq_firms_uscc'))
    )
    with op.batch_alter_table('firms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_firms_credit_class'), ['credit_class'], unique=False)
        batch_op.create_index(batch_op.f('ix_firms_district_id'), ['district_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_firms_industry'), ['industry'], unique=False)
        batch_op.create_index(batch_op.f('ix_firms_name'), ['name'], unique=False)

    op.create_table('officers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_no', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('qualifications', sa.JSON(), nullable=False),
    sa.CheckConstraint('valid_to >= valid_from', name=op.f('ck_officers_validity_order')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_officers_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_officers')),
    sa.UniqueConstraint('certificate_no', name=op.f('uq_officers_certificate_no'))
    )
    with op.batch_alter_table('officers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_officers_department_id'), ['department_id'], unique=False)

    op.create_table('checklist_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('legal_basis', sa.Text(), nullable=False),
    sa.Column('verify', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['catalogue_items.id'], name=op.f('fk_checklist_points_item_id_catalogue_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_points')),
    sa.UniqueConstraint('item_id', 'position', name=op.f('uq_checklist_points_item_id_position'))
    )
    with op.batch_alter_table('checklist_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checklist_points_item_id'), ['item_id'], unique=False)

    op.create_table('firm_tags',
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_firm_tags_firm_id_firms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('firm_id', 'tag', name=op.f('pk_firm_tags'))
    )
    with op.batch_alter_table('firm_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_firm_tags_tag'), ['tag'], unique=False)

    op.create_table('officer_districts',
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_officer_districts_district_id_districts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_officer_districts_officer_id_officers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('officer_id', 'district_id', name=op.f('pk_officer_districts'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('firm_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("role != 'enterprise' or firm_id is not null", name=op.f('ck_users_enterprise_has_firm')),
    sa.CheckConstraint("role != 'inspector' or officer_id is not null", name=op.f('ck_users_inspector_has_officer')),
    sa.CheckConstraint("role in ('department','inspector','enterprise','oversight','admin')", name=op.f('ck_users_role')),
    sa.CheckConstraint("role not in ('department','inspector') or department_id is not null", name=op.f('ck_users_department_roles_have_department')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_users_department_id_departments')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_users_firm_id_firms')),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_users_officer_id_officers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('officer_id', name=op.f('uq_users_officer_id')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_role'), ['role'], unique=False)

    op.create_table('inspection_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('lead', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status in ('draft','filed','drawn','scheduled','in_progress','completed','cancelled')", name=op.f('ck_inspection_plans_status')),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_inspection_plans_period_order')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_inspection_plans_created_by_id_users')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_inspection_plans_department_id_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_plans'))
    )
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_plans_department_id'), ['department_id'], unique=False)

    op.create_table('plan_items',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['catalogue_items.id'], name=op.f('fk_plan_items_item_id_catalogue_items')),
    sa.ForeignKeyConstraint(['plan_id'], ['inspection_plans.id'], name=op.f('fk_plan_items_plan_id_inspection_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('plan_id', 'item_id', name=op.f('pk_plan_items'))
    )


def downgrade() -> None:
    op.drop_table('plan_items')
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_plans_department_id'))

    op.drop_table('inspection_plans')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_role'))
        batch_op.drop_index(batch_op.f('ix_users_firm_id'))
        batch_op.drop_index(batch_op.f('ix_users_department_id'))

    op.drop_table('users')
    op.drop_table('officer_districts')
    with op.batch_alter_table('firm_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_firm_tags_tag'))

    op.drop_table('firm_tags')
    with op.batch_alter_table('checklist_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_points_item_id'))

    op.drop_table('checklist_points')
    with op.batch_alter_table('officers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_officers_department_id'))

    op.drop_table('officers')
    with op.batch_alter_table('firms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_firms_name'))
        batch_op.drop_index(batch_op.f('ix_firms_industry'))
        batch_op.drop_index(batch_op.f('ix_firms_district_id'))
        batch_op.drop_index(batch_op.f('ix_firms_credit_class'))

    op.drop_table('firms')
    op.drop_table('department_districts')
    with op.batch_alter_table('catalogue_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalogue_items_department_id'))
        batch_op.drop_index(batch_op.f('ix_catalogue_items_code'))
        batch_op.drop_index(batch_op.f('ix_catalogue_items_catalogue_version_id'))

    op.drop_table('catalogue_items')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_subject'))
        batch_op.drop_index(batch_op.f('ix_events_kind'))
        batch_op.drop_index(batch_op.f('ix_events_at'))

    op.drop_table('events')
    op.drop_table('event_head')
    op.drop_table('districts')
    op.drop_table('departments')
    op.drop_table('catalogue_versions')
