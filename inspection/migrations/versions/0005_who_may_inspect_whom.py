"""who may inspect whom

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 16:02:55.784984
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('officer_conflicts',
    sa.Column('officer_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_officer_conflicts_firm_id_firms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_officer_conflicts_officer_id_officers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('officer_id', 'firm_id', name=op.f('pk_officer_conflicts'))
    )
    op.create_table('quiet_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('firm_id', sa.Integer(), nullable=True),
    sa.Column('days_of_month', sa.JSON(), nullable=True),
    sa.Column('start', sa.Date(), nullable=True),
    sa.Column('end', sa.Date(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('declared_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(scope != 'district' or district_id is not null) and (scope != 'firm' or firm_id is not null)", name=op.f('ck_quiet_periods_scope_target')),
    sa.CheckConstraint("scope in ('city','district','firm')", name=op.f('ck_quiet_periods_scope')),
    sa.CheckConstraint('days_of_month is not null or (start is not null and "end" is not null)', name=op.f('ck_quiet_periods_when')),
    sa.ForeignKeyConstraint(['declared_by_id'], ['users.id'], name=op.f('fk_quiet_periods_declared_by_id_users')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_quiet_periods_district_id_districts')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_quiet_periods_firm_id_firms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiet_periods'))
    )
    with op.batch_alter_table('quiet_periods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiet_periods_firm_id'), ['firm_id'], unique=False)

    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('yearly_cap', sa.Integer(), nullable=True))

    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quiet_exception', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('quiet_exception_evidence', sa.Text(), nullable=True))
        batch_op.create_check_constraint(
            'quiet_exception', "quiet_exception is null or quiet_exception in ('complaint','accident','hazard','order')")

    with op.batch_alter_table('officers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='enforcement', nullable=False))
        batch_op.create_check_constraint('kind', "kind in ('enforcement','grid','community','third_party')")




def downgrade() -> None:

    with op.batch_alter_table('officers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_officers_kind'), type_='check')
        batch_op.drop_column('kind')

    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_inspection_plans_quiet_exception'), type_='check')
        batch_op.drop_column('quiet_exception_evidence')
        batch_op.drop_column('quiet_exception')

    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_column('yearly_cap')

    with op.batch_alter_table('quiet_periods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quiet_periods_firm_id'))

    op.drop_table('quiet_periods')
    op.drop_table('officer_conflicts')

