"""quiet periods: a firm's period binds the declaring department, or is firm-wide with evidence

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('quiet_periods', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('evidence', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('declared_on', sa.Date(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_quiet_periods_department_id_departments'), 'departments',
                                    ['department_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('quiet_periods', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_quiet_periods_department_id_departments'), type_='foreignkey')
        batch_op.drop_column('declared_on')
        batch_op.drop_column('evidence')
        batch_op.drop_column('department_id')
