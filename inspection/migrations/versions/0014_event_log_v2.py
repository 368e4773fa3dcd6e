"""event log version 2: salted content digests on new records; failed sign-ins counted on the account

Records already in the log stay version 1 (``v`` = 1, no salt or digest) and verify as before.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 23:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('v', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('salt', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('digest', sa.String(length=64), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_events_version'), 'v in (1, 2)')
        batch_op.create_check_constraint(batch_op.f('ck_events_v2_salted'),
                                         'v = 1 or (salt is not null and digest is not null)')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_sign_ins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_failed_sign_in_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('last_failed_sign_in_at')
        batch_op.drop_column('failed_sign_ins')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_events_v2_salted'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_events_version'), type_='check')
        batch_op.drop_column('digest')
        batch_op.drop_column('salt')
        batch_op.drop_column('v')
