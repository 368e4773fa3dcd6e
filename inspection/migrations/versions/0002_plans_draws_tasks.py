"""plans: sampling, campaigns, draws, tasks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 15:39:41.703421
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('joint_campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('seed_commitment', sa.String(length=64), nullable=False),
    sa.Column('committed_at', sa.DateTime(), nullable=False),
    sa.Column('drawn_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status in ('open','drawn','cancelled')", name=op.f('ck_joint_campaigns_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_joint_campaigns_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_joint_campaigns'))
    )
    op.create_table('draws',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('algorithm', sa.String(length=32), nullable=False),
    sa.Column('record', sa.JSON(), nullable=False),
    sa.Column('pool_sha256', sa.String(length=64), nullable=False),
    sa.Column('drawn_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['inspection_plans.id'], name=op.f('fk_draws_plan_id_inspection_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draws')),
    sa.UniqueConstraint('plan_id', name=op.f('uq_draws_plan_id'))
    )
    op.create_table('inspection_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('on_site', sa.Boolean(), nullable=False),
    sa.Column('window_start', sa.Date(), nullable=False),
    sa.Column('window_end', sa.Date(), nullable=False),
    sa.CheckConstraint("status in ('pending','scheduled','done','cancelled')", name=op.f('ck_inspection_tasks_status')),
    sa.CheckConstraint('window_end >= window_start', name=op.f('ck_inspection_tasks_window_order')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_inspection_tasks_firm_id_firms')),
    sa.ForeignKeyConstraint(['plan_id'], ['inspection_plans.id'], name=op.f('fk_inspection_tasks_plan_id_inspection_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_tasks')),
    sa.UniqueConstraint('plan_id', 'firm_id', name=op.f('uq_inspection_tasks_plan_id_firm_id'))
    )
    with op.batch_alter_table('inspection_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_tasks_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_tasks_plan_id'), ['plan_id'], unique=False)

    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ratios', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column('target_districts', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('target_industries', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('target_tags', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('officer_pool', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('officers_needed', sa.Integer(), nullable=False, server_default='2'))
        batch_op.create_check_constraint('two_officers', 'officers_needed >= 2')
        batch_op.add_column(sa.Column('series', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('seed', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('seed_commitment', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('committed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('drawn_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_inspection_plans_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_plans_series'), ['series'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_inspection_plans_campaign_id_joint_campaigns'), 'joint_campaigns', ['campaign_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_inspection_plans_two_officers'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_inspection_plans_campaign_id_joint_campaigns'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_inspection_plans_series'))
        batch_op.drop_index(batch_op.f('ix_inspection_plans_campaign_id'))
        batch_op.drop_column('drawn_at')
        batch_op.drop_column('committed_at')
        batch_op.drop_column('seed_commitment')
        batch_op.drop_column('seed')
        batch_op.drop_column('campaign_id')
        batch_op.drop_column('series')
        batch_op.drop_column('officers_needed')
        batch_op.drop_column('officer_pool')
        batch_op.drop_column('target_tags')
        batch_op.drop_column('target_industries')
        batch_op.drop_column('target_districts')
        batch_op.drop_column('ratios')

    with op.batch_alter_table('inspection_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_tasks_plan_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_tasks_firm_id'))

    op.drop_table('inspection_tasks')
    op.drop_table('draws')
    op.drop_table('joint_campaigns')
