"""catalogue revisions keep items by code and department; published words beside their meaning;
plans take class ratios from the credit policy and record their share of the pool

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('catalogue_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changes', sa.JSON(), nullable=True))
    with op.batch_alter_table('catalogue_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('frequency_words', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('ratio_words', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('runs_min', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('runs_max', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ratio_source', sa.String(length=8), server_default='item', nullable=False))
        batch_op.add_column(sa.Column('ratio_options', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('is_group', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('point_map', sa.JSON(), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_catalogue_items_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_catalogue_items_status'),
                                         "status in ('draft','published','superseded','revoked')")
        batch_op.create_check_constraint(batch_op.f('ck_catalogue_items_ratio_source'),
                                         "ratio_source in ('item','plan','higher')")
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ratio_source', sa.String(length=16), server_default='plan', nullable=False))
        batch_op.add_column(sa.Column('share', sa.JSON(), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_inspection_plans_ratio_source'),
                                         "ratio_source in ('plan','credit_policy')")


def downgrade() -> None:
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_inspection_plans_ratio_source'), type_='check')
        batch_op.drop_column('share')
        batch_op.drop_column('ratio_source')
    op.execute("UPDATE catalogue_items SET status = 'revoked' WHERE status = 'superseded'")
    with op.batch_alter_table('catalogue_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_catalogue_items_ratio_source'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_catalogue_items_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_catalogue_items_status'),
                                         "status in ('draft','published','revoked')")
        batch_op.drop_column('point_map')
        batch_op.drop_column('is_group')
        batch_op.drop_column('ratio_options')
        batch_op.drop_column('ratio_source')
        batch_op.drop_column('runs_max')
        batch_op.drop_column('runs_min')
        batch_op.drop_column('ratio_words')
        batch_op.drop_column('frequency_words')
