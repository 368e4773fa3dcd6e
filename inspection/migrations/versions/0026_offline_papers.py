"""offline papers: the on-site record and the sampling, premises and questioning records read back and signed
on a phone without network travel as offline records of their own kinds

Revision ID: 0026
Revises: 0025b
Create Date: 2026-12-06 01:30:00
"""
from alembic import op

revision = '0026'
down_revision = '0025b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('offline_records', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_offline_records_kind'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_offline_records_kind'),
            "kind in ('scan_in','finding','outcome','scan_out','record','field_record')")


def downgrade() -> None:
    op.execute("DELETE FROM offline_records WHERE kind IN ('record', 'field_record')")
    with op.batch_alter_table('offline_records', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_offline_records_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_offline_records_kind'),
                                         "kind in ('scan_in','finding','outcome','scan_out')")
