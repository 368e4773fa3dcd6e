"""oversight at scale: the pairs of visits that could have been combined, found as visits are entered

Revision ID: 0023b
Revises: 0023
Create Date: 2026-12-05 13:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0023b'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'uncombined_pairs',
        sa.Column('first_visit_id', sa.Integer(), nullable=False),
        sa.Column('second_visit_id', sa.Integer(), nullable=False),
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('second_day', sa.Date(), nullable=False),
        sa.Column('first_day_number', sa.Integer(), nullable=False),
        sa.Column('bucket_step', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'],
                                name=op.f('fk_uncombined_pairs_department_id_departments')),
        sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_uncombined_pairs_firm_id_firms')),
        sa.ForeignKeyConstraint(['first_visit_id'], ['visits.id'], ondelete='CASCADE',
                                name=op.f('fk_uncombined_pairs_first_visit_id_visits')),
        sa.ForeignKeyConstraint(['second_visit_id'], ['visits.id'], ondelete='CASCADE',
                                name=op.f('fk_uncombined_pairs_second_visit_id_visits')),
        sa.PrimaryKeyConstraint('first_visit_id', 'second_visit_id', name=op.f('pk_uncombined_pairs')),
    )
    op.create_index('ix_uncombined_pairs_first_day_number', 'uncombined_pairs', ['first_day_number'])
    op.create_index('ix_uncombined_pairs_second_visit_id', 'uncombined_pairs', ['second_visit_id'])
    # The pairs of the entries recorded so far (as inspection.operations.facts.rebuild_facts finds them,
    # 30 days apart at most), joined bucket by bucket of 31 days.
    for step in (0, 1):
        op.execute(
            "INSERT INTO uncombined_pairs (first_visit_id, second_visit_id, firm_id, first_day, second_day, "
            "first_day_number, bucket_step, department_id) "
            "SELECT a.visit_id, b.visit_id, a.firm_id, a.day, b.day, a.day_number, "
            "b.day_number / 31 - a.day_number / 31, min(b.department_id) "
            "FROM entry_facts a JOIN entry_facts b "
            f"ON b.firm_id = a.firm_id AND b.day_number / 31 = a.day_number / 31 + {step} "
            "WHERE b.day_number - a.day_number >= 0 AND b.day_number - a.day_number <= 30 "
            "AND (b.day_number > a.day_number OR a.visit_id < b.visit_id) AND b.visit_id != a.visit_id "
            "AND b.department_id != a.department_id AND a.window_start <= b.window_end "
            "AND b.window_start <= a.window_end "
            "GROUP BY a.visit_id, b.visit_id, a.firm_id, a.day, b.day, a.day_number, b.day_number")
    # The rule no longer joins the window's entries: the index that served that join goes.
    op.drop_index('ix_entry_facts_day_pairs', table_name='entry_facts')


def downgrade() -> None:
    op.create_index('ix_entry_facts_day_pairs', 'entry_facts',
                    ['day_number', 'firm_id', 'department_id', 'visit_id', 'window_start', 'window_end', 'day'])
    op.drop_index('ix_uncombined_pairs_second_visit_id', table_name='uncombined_pairs')
    op.drop_index('ix_uncombined_pairs_first_day_number', table_name='uncombined_pairs')
    op.drop_table('uncombined_pairs')
