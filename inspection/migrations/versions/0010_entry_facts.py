"""entry facts: the narrow tables oversight counts and audits

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 09:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('entry_facts',
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('credit_class', sa.String(length=1), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('day_number', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('visit_row', sa.Boolean(), nullable=False),
    sa.Column('departments', sa.Integer(), nullable=False),
    sa.Column('window_start', sa.Date(), nullable=False),
    sa.Column('window_end', sa.Date(), nullable=False),
    sa.Column('certified', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_entry_facts_department_id_departments')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_entry_facts_district_id_districts')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_entry_facts_firm_id_firms')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_entry_facts_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('visit_id', 'department_id', name=op.f('pk_entry_facts'))
    )
    with op.batch_alter_table('entry_facts', schema=None) as batch_op:
        batch_op.create_index('ix_entry_facts_firm_day', ['firm_id', 'day_number'], unique=False)
        batch_op.create_index('ix_entry_facts_year_department', ['year', 'department_id'], unique=False)
        batch_op.create_index('ix_entry_facts_year_month', ['year', 'month'], unique=False)

    op.create_table('entry_item_facts',
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('item_code', sa.String(length=32), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('frequency_cap', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_entry_item_facts_department_id_departments')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_entry_item_facts_firm_id_firms')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_entry_item_facts_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('visit_id', 'item_code', name=op.f('pk_entry_item_facts'))
    )
    with op.batch_alter_table('entry_item_facts', schema=None) as batch_op:
        batch_op.create_index('ix_entry_item_facts_firm_item_period', ['firm_id', 'item_code', 'period'], unique=False)
        batch_op.create_index('ix_entry_item_facts_year', ['year'], unique=False)

    # The visits entered so far (the same rows inspection.operations.facts.rebuild_facts makes).
    sqlite = op.get_bind().dialect.name == "sqlite"
    ordinal = "CAST(julianday(v.day) - 1721424.5 AS INTEGER)" if sqlite else "((v.day - DATE '0001-01-01') + 1)"
    year = "CAST(strftime('%Y', v.day) AS INTEGER)" if sqlite else "CAST(EXTRACT(year FROM v.day) AS INTEGER)"
    month = "CAST(strftime('%m', v.day) AS INTEGER)" if sqlite else "CAST(EXTRACT(month FROM v.day) AS INTEGER)"
    op.execute(f"""
        WITH pd AS (SELECT t.visit_id, p.department_id, MIN(t.window_start) AS window_start, MAX(t.window_end) AS window_end
                    FROM inspection_tasks t JOIN inspection_plans p ON p.id = t.plan_id
                    JOIN visit_entries e ON e.visit_id = t.visit_id GROUP BY t.visit_id, p.department_id),
             pv AS (SELECT visit_id, COUNT(*) AS departments, MIN(department_id) AS first FROM pd GROUP BY visit_id),
             c AS (SELECT s.visit_id, COUNT(DISTINCT o.id) AS n FROM scans s JOIN officers o ON o.id = s.officer_id
                   JOIN visits v ON v.id = s.visit_id
                   WHERE s.kind = 'in' AND s.accepted AND o.active AND o.kind = 'enforcement'
                     AND o.valid_from <= v.day AND o.valid_to >= v.day GROUP BY s.visit_id)
        INSERT INTO entry_facts (visit_id, department_id, firm_id, district_id, credit_class, day, day_number, year,
                                 month, visit_row, departments, window_start, window_end, certified)
        SELECT pd.visit_id, pd.department_id, v.firm_id, f.district_id, f.credit_class, v.day, {ordinal}, {year},
               {month}, pd.department_id = pv.first, pv.departments, pd.window_start, pd.window_end, COALESCE(c.n, 0)
        FROM pd JOIN visits v ON v.id = pd.visit_id JOIN firms f ON f.id = v.firm_id
        JOIN pv ON pv.visit_id = pd.visit_id LEFT JOIN c ON c.visit_id = pd.visit_id""")
    period = f"""CASE i.frequency_period
        WHEN 'half_year' THEN CAST({year} AS VARCHAR) || 'H' || CAST(({month} + 5) / 6 AS VARCHAR)
        WHEN 'quarter' THEN CAST({year} AS VARCHAR) || 'Q' || CAST(({month} + 2) / 3 AS VARCHAR)
        WHEN 'month' THEN CAST({year} AS VARCHAR) || '-' || CASE WHEN {month} < 10 THEN '0' ELSE '' END || CAST({month} AS VARCHAR)
        ELSE CAST({year} AS VARCHAR) END"""
    op.execute(f"""
        INSERT INTO entry_item_facts (visit_id, item_code, department_id, firm_id, year, period, frequency_cap)
        SELECT t.visit_id, i.code, MIN(p.department_id), MIN(v.firm_id), MIN({year}), MIN({period}), MAX(i.frequency_cap)
        FROM inspection_tasks t JOIN visit_entries e ON e.visit_id = t.visit_id JOIN visits v ON v.id = t.visit_id
        JOIN inspection_plans p ON p.id = t.plan_id JOIN plan_items pi ON pi.plan_id = p.id
        JOIN catalogue_items i ON i.id = pi.item_id
        GROUP BY t.visit_id, i.code""")


def downgrade() -> None:
    op.drop_table('entry_item_facts')
    op.drop_table('entry_facts')
