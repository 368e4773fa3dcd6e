"""leads come through channels (source, how they arrived; plans name their recorded lead); leniency
entries by offence with fine ranges and an optional checklist point; the list's first-offence look-back;
an outcome's reason for a fine outside the range

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

KINDS = "kind in ('complaint','referral','accident','hazard','assignment','platform')"


def upgrade() -> None:
    with op.batch_alter_table('firm_leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('via', sa.String(length=16), server_default='manual', nullable=False))
        batch_op.drop_constraint(batch_op.f('ck_firm_leads_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_firm_leads_kind'), KINDS)
        batch_op.create_check_constraint(batch_op.f('ck_firm_leads_via'),
                                         "via in ('manual','hotline','backfile','platform')")

    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_inspection_plans_lead_id'), ['lead_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_inspection_plans_lead_id_firm_leads'), 'firm_leads',
                                    ['lead_id'], ['id'])

    with op.batch_alter_table('leniency_lists', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lookback_months', sa.Integer(), server_default='12', nullable=False))

    with op.batch_alter_table('leniency_entries', schema=None) as batch_op:
        batch_op.alter_column('item_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('point_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('code', sa.String(length=32), server_default='', nullable=False))
        batch_op.add_column(sa.Column('offence', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('legal_basis', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('penalty_basis', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('conditions_text', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('fine_min', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('fine_max', sa.BigInteger(), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_leniency_entries_fine_order'),
                                         "fine_min is null or fine_max is null or fine_min <= fine_max")
        batch_op.create_check_constraint(batch_op.f('ck_leniency_entries_point_with_item'),
                                         "(item_id is null) = (point_id is null)")

    with op.batch_alter_table('item_outcomes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fine_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('item_outcomes', schema=None) as batch_op:
        batch_op.drop_column('fine_reason')
    op.execute("DELETE FROM leniency_entries WHERE point_id IS NULL")
    with op.batch_alter_table('leniency_entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_leniency_entries_point_with_item'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_leniency_entries_fine_order'), type_='check')
        for column in ('fine_max', 'fine_min', 'conditions_text', 'penalty_basis', 'legal_basis', 'offence', 'code'):
            batch_op.drop_column(column)
        batch_op.alter_column('point_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('item_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('leniency_lists', schema=None) as batch_op:
        batch_op.drop_column('lookback_months')
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_inspection_plans_lead_id_firm_leads'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_inspection_plans_lead_id'))
        batch_op.drop_column('lead_id')
    op.execute("UPDATE firm_leads SET kind = 'referral' WHERE kind IN ('hazard','assignment','platform')")
    with op.batch_alter_table('firm_leads', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_firm_leads_via'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_firm_leads_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_firm_leads_kind'), "kind in ('complaint','referral','accident')")
        batch_op.drop_column('via')
        batch_op.drop_column('source')
