"""oversight at scale: entry counts for the dashboard, covering and partial indexes for its figures and
the audit rules

Revision ID: 0023
Revises: 0020
Create Date: 2026-12-05 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0020'
branch_labels = None
depends_on = None


def _partial(postgresql: str, sqlite: str | None = None) -> dict:
    return {"postgresql_where": sa.text(postgresql), "sqlite_where": sa.text(sqlite or postgresql)}


def upgrade() -> None:
    op.create_table(
        'entry_counts',
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('district_id', sa.Integer(), nullable=False),
        sa.Column('visit_row', sa.Boolean(), nullable=False),
        sa.Column('departments', sa.Integer(), nullable=False),
        sa.Column('origin', sa.String(length=16), nullable=False),
        sa.Column('entries', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'],
                                name=op.f('fk_entry_counts_department_id_departments')),
        sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_entry_counts_district_id_districts')),
        sa.PrimaryKeyConstraint('year', 'month', 'department_id', 'district_id', 'visit_row', 'departments', 'origin',
                                name=op.f('pk_entry_counts')),
    )
    # The entries recorded so far (the same rows inspection.operations.facts.rebuild_facts counts).
    op.execute("INSERT INTO entry_counts (year, month, department_id, district_id, visit_row, departments, origin, "
               "entries) SELECT year, month, department_id, district_id, visit_row, departments, origin, count(*) "
               "FROM entry_facts GROUP BY year, month, department_id, district_id, visit_row, departments, origin")
    op.create_table(
        'entry_item_counts',
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('item_code', sa.String(length=32), nullable=False),
        sa.Column('period', sa.String(length=8), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('entries', sa.Integer(), nullable=False),
        sa.Column('frequency_cap', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'],
                                name=op.f('fk_entry_item_counts_department_id_departments')),
        sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_entry_item_counts_firm_id_firms')),
        sa.PrimaryKeyConstraint('firm_id', 'item_code', 'period', name=op.f('pk_entry_item_counts')),
    )
    op.create_index('ix_entry_item_counts_over_cap', 'entry_item_counts', ['year'],
                    **_partial("entries > frequency_cap"))
    op.execute("INSERT INTO entry_item_counts (firm_id, item_code, period, year, entries, frequency_cap, department_id) "
               "SELECT firm_id, item_code, period, min(year), count(*), max(frequency_cap), min(department_id) "
               "FROM entry_item_facts GROUP BY firm_id, item_code, period")
    op.create_table(
        'entry_firm_counts',
        sa.Column('firm_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('entries', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_entry_firm_counts_firm_id_firms')),
        sa.PrimaryKeyConstraint('firm_id', 'year', name=op.f('pk_entry_firm_counts')),
    )
    op.create_index('ix_entry_firm_counts_year_entries', 'entry_firm_counts', ['year', 'entries'])
    op.execute("INSERT INTO entry_firm_counts (firm_id, year, entries) SELECT firm_id, year, count(*) "
               "FROM entry_facts WHERE visit_row GROUP BY firm_id, year")
    op.drop_index('ix_entry_facts_year_department', table_name='entry_facts')
    op.create_index('ix_entry_facts_year_scope', 'entry_facts',
                    ['year', 'department_id', 'district_id', 'month', 'visit_row', 'departments', 'firm_id',
                     'visit_id'])
    op.create_index('ix_entry_facts_firm_year', 'entry_facts', ['year', 'firm_id'],
                    **_partial("visit_row IS true", "visit_row IS 1"))
    op.create_index('ix_entry_facts_day_pairs', 'entry_facts',
                    ['day_number', 'firm_id', 'department_id', 'visit_id', 'window_start', 'window_end', 'day'])
    op.create_index('ix_entry_facts_under_staffed', 'entry_facts', ['day_number'],
                    **_partial("visit_row IS true AND certified < 2", "visit_row IS 1 AND certified < 2"))
    op.create_index('ix_scans_refused', 'scans', ['at'], **_partial("accepted IS false", "accepted IS 0"))
    op.drop_index('ix_item_outcomes_publish_due', table_name='item_outcomes')
    op.create_index('ix_item_outcomes_publish_due', 'item_outcomes', ['publish_due', 'visit_id', 'published_at'])
    op.create_index('ix_item_outcomes_unpublished', 'item_outcomes', ['publish_due', 'visit_id', 'task_id', 'id'],
                    **_partial("published_at IS NULL"))
    op.create_index('ix_item_outcomes_cases', 'item_outcomes', ['visit_id'], **_partial("outcome = 'case'"))
    op.create_index('ix_evaluations_visit_score', 'evaluations', ['visit_id', 'score'])
    op.create_index('ix_evaluations_low', 'evaluations', ['at'],
                    **_partial("score <= 2 OR complaint IS NOT NULL"))


def downgrade() -> None:
    op.drop_index('ix_evaluations_low', table_name='evaluations')
    op.drop_index('ix_item_outcomes_cases', table_name='item_outcomes')
    op.drop_index('ix_evaluations_visit_score', table_name='evaluations')
    op.drop_index('ix_item_outcomes_unpublished', table_name='item_outcomes')
    op.drop_index('ix_item_outcomes_publish_due', table_name='item_outcomes')
    op.create_index('ix_item_outcomes_publish_due', 'item_outcomes', ['publish_due'])
    op.drop_index('ix_scans_refused', table_name='scans')
    op.drop_index('ix_entry_facts_under_staffed', table_name='entry_facts')
    op.drop_index('ix_entry_facts_day_pairs', table_name='entry_facts')
    op.drop_index('ix_entry_facts_firm_year', table_name='entry_facts')
    op.drop_index('ix_entry_facts_year_scope', table_name='entry_facts')
    op.create_index('ix_entry_facts_year_department', 'entry_facts', ['year', 'department_id'])
    op.drop_table('entry_counts')
    op.drop_index('ix_entry_firm_counts_year_entries', table_name='entry_firm_counts')
    op.drop_table('entry_firm_counts')
    op.drop_index('ix_entry_item_counts_over_cap', table_name='entry_item_counts')
    op.drop_table('entry_item_counts')
