"""import runs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 16:19:13.516825
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('import_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('stored_path', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('progress', sa.Float(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("kind in ('firms','officers')", name=op.f('ck_import_runs_kind')),
    sa.CheckConstraint("status in ('queued','running','done','failed')", name=op.f('ck_import_runs_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_import_runs_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs'))
    )



def downgrade() -> None:

    op.drop_table('import_runs')

