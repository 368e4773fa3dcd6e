"""catalogue: ratio bounds, frequency periods, modes, sub-items

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 16:13:21.514970
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table('catalogue_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('frequency_period', sa.String(length=16), server_default='year', nullable=False))
        batch_op.add_column(sa.Column('ratio_min', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('ratio_max', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('modes', sa.JSON(), nullable=False, server_default=sa.text("'[\"on_site\"]'")))
        batch_op.add_column(sa.Column('parent_code', sa.String(length=32), nullable=True))




def downgrade() -> None:

    with op.batch_alter_table('catalogue_items', schema=None) as batch_op:
        batch_op.drop_column('parent_code')
        batch_op.drop_column('modes')
        batch_op.drop_column('ratio_max')
        batch_op.drop_column('ratio_min')
        batch_op.drop_column('frequency_period')


