"""campaign proposals

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 15:54:54.122669
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('campaign_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('plan_ids', sa.JSON(), nullable=False),
    sa.Column('expected_visits_independent', sa.Double(), nullable=False),
    sa.Column('expected_visits_joint', sa.Double(), nullable=False),
    sa.Column('shared_firms', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('accepted_plan_ids', sa.JSON(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status in ('open','accepted','declined')", name=op.f('ck_campaign_proposals_status')),
    sa.ForeignKeyConstraint(['campaign_id'], ['joint_campaigns.id'], name=op.f('fk_campaign_proposals_campaign_id_joint_campaigns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_proposals')),
    sa.UniqueConstraint('key', name=op.f('uq_campaign_proposals_key'))
    )



def downgrade() -> None:

    op.drop_table('campaign_proposals')

