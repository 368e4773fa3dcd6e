"""city rules set on the platform: working hours, quiet-period and visit-length limits over the city file

Revision ID: 0025d
Revises: 0024
Create Date: 2026-12-05 22:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0025d'
down_revision = '0025c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('city_rules',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_city_rules_changed_by_id_users')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_city_rules'))
    )


def downgrade() -> None:
    op.drop_table('city_rules')
