"""notices: the outbox of what firms, officers and accounts are told (通知), and the accounts' e-mail and
mobile number

Revision ID: 0025c
Revises: 0024
Create Date: 2026-12-05 22:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0025c'
down_revision = '0025f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('phone', sa.String(length=20), nullable=True))
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=True),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('email_status', sa.String(length=8), server_default='pending', nullable=False),
    sa.Column('sms_status', sa.String(length=8), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.CheckConstraint("(firm_id is not null and officer_id is null and user_id is null)"
                       " or (firm_id is null and officer_id is not null and user_id is null)"
                       " or (firm_id is null and officer_id is null and user_id is not null)",
                       name=op.f('ck_notices_one_recipient')),
    sa.CheckConstraint("email_status in ('pending','sent','failed','none')", name=op.f('ck_notices_email_status')),
    sa.CheckConstraint("sms_status in ('pending','sent','failed','none')", name=op.f('ck_notices_sms_status')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_notices_firm_id_firms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_notices_officer_id_officers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices')),
    sa.UniqueConstraint('key', name=op.f('uq_notices_key'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notices_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notices_officer_id'), ['officer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notices_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notices_user_id'))
        batch_op.drop_index(batch_op.f('ix_notices_officer_id'))
        batch_op.drop_index(batch_op.f('ix_notices_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_notices_firm_id'))
    op.drop_table('notices')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('phone')
        batch_op.drop_column('email')
