"""risk models and scores, complaints and leads, risk-weighted plans, leniency lists, fines and treatments

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 06:12:17.628446
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('firm_leads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind in ('complaint','referral')", name=op.f('ck_firm_leads_kind')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_firm_leads_department_id_departments')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_firm_leads_firm_id_firms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_firm_leads_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_firm_leads'))
    )
    with op.batch_alter_table('firm_leads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_firm_leads_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_firm_leads_received_on'), ['received_on'], unique=False)

    op.create_table('leniency_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status in ('published','superseded')", name=op.f('ck_leniency_lists_status')),
    sa.CheckConstraint('effective_to is null or effective_to >= effective_from', name=op.f('ck_leniency_lists_effective_order')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_leniency_lists_department_id_departments')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_leniency_lists_published_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leniency_lists')),
    sa.UniqueConstraint('department_id', 'version', name=op.f('uq_leniency_lists_department_id_version'))
    )
    with op.batch_alter_table('leniency_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leniency_lists_department_id'), ['department_id'], unique=False)

    op.create_table('risk_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('progress', sa.Float(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('test_year', sa.Integer(), nullable=True),
    sa.Column('train_years', sa.JSON(), nullable=False),
    sa.Column('fit_years', sa.JSON(), nullable=False),
    sa.Column('features', sa.JSON(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('examples', sa.Integer(), nullable=False),
    sa.Column('scores', sa.Integer(), nullable=False),
    sa.Column('scored_as_of', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('trained_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status in ('queued','running','published','retired','failed')", name=op.f('ck_risk_models_status')),
    sa.CheckConstraint('progress >= 0 and progress <= 1', name=op.f('ck_risk_models_progress')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_risk_models_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_models')),
    sa.UniqueConstraint('version', name=op.f('uq_risk_models_version'))
    )
    with op.batch_alter_table('risk_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_models_status'), ['status'], unique=False)

    op.create_table('leniency_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('treatment', sa.String(length=16), nullable=False),
    sa.Column('conditions', sa.JSON(), nullable=False),
    sa.Column('basis', sa.Text(), nullable=False),
    sa.Column('guidance', sa.Text(), nullable=False),
    sa.CheckConstraint("treatment in ('no_penalty','reduced','lighter','heavier')", name=op.f('ck_leniency_entries_treatment')),
    sa.ForeignKeyConstraint(['item_id'], ['catalogue_items.id'], name=op.f('fk_leniency_entries_item_id_catalogue_items')),
    sa.ForeignKeyConstraint(['list_id'], ['leniency_lists.id'], name=op.f('fk_leniency_entries_list_id_leniency_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['point_id'], ['checklist_points.id'], name=op.f('fk_leniency_entries_point_id_checklist_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leniency_entries')),
    sa.UniqueConstraint('list_id', 'point_id', 'treatment', name=op.f('uq_leniency_entries_list_id_point_id_treatment'))
    )
    with op.batch_alter_table('leniency_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leniency_entries_list_id'), ['list_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leniency_entries_point_id'), ['point_id'], unique=False)

    op.create_table('risk_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('factors', sa.JSON(), nullable=False),
    sa.CheckConstraint('score > 0 and score < 1', name=op.f('ck_risk_scores_score')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_risk_scores_department_id_departments')),
    sa.ForeignKeyConstraint(['firm_id'], ['firms.id'], name=op.f('fk_risk_scores_firm_id_firms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['model_id'], ['risk_models.id'], name=op.f('fk_risk_scores_model_id_risk_models'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_scores')),
    sa.UniqueConstraint('model_id', 'department_id', 'firm_id', name=op.f('uq_risk_scores_model_id_department_id_firm_id'))
    )
    with op.batch_alter_table('risk_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_scores_firm_id'), ['firm_id'], unique=False)

    op.create_table('leniency_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('treatment', sa.String(length=16), nullable=True),
    sa.Column('conditions', sa.JSON(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(decision = 'not_met') = (entry_id is null)", name=op.f('ck_leniency_decisions_entry_when_applies')),
    sa.CheckConstraint("decision != 'depart' or length(reason) > 0", name=op.f('ck_leniency_decisions_reason_when_departing')),
    sa.CheckConstraint("decision in ('follow','depart','not_met')", name=op.f('ck_leniency_decisions_decision')),
    sa.CheckConstraint("treatment is null or treatment in ('no_penalty','reduced','lighter','heavier')", name=op.f('ck_leniency_decisions_treatment')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['officers.id'], name=op.f('fk_leniency_decisions_decided_by_id_officers')),
    sa.ForeignKeyConstraint(['entry_id'], ['leniency_entries.id'], name=op.f('fk_leniency_decisions_entry_id_leniency_entries')),
    sa.ForeignKeyConstraint(['finding_id'], ['findings.id'], name=op.f('fk_leniency_decisions_finding_id_findings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leniency_decisions')),
    sa.UniqueConstraint('finding_id', name=op.f('uq_leniency_decisions_finding_id'))
    )
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('weighting', sa.String(length=8), server_default='ratios', nullable=False))
        batch_op.add_column(sa.Column('risk_model_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_inspection_plans_risk_model_id_risk_models'), 'risk_models', ['risk_model_id'], ['id'])
        batch_op.create_check_constraint('weighting', "weighting in ('ratios','risk')")
        batch_op.create_check_constraint('risk_model_when_weighted', "weighting = 'risk' or risk_model_id is null")

    with op.batch_alter_table('item_outcomes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('treatment', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('fine_amount', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('recorded_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_item_outcomes_recorded_by_id'), ['recorded_by_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_item_outcomes_recorded_by_id_officers'), 'officers', ['recorded_by_id'], ['id'])
        batch_op.create_check_constraint('fine_in_case', "fine_amount is null or (outcome = 'case' and fine_amount >= 0)")
        batch_op.create_check_constraint(
            'treatment', "treatment is null or (treatment = 'no_penalty' and outcome != 'case') "
                         "or (treatment in ('reduced','lighter','heavier') and outcome = 'case')")



def downgrade() -> None:
    with op.batch_alter_table('item_outcomes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_item_outcomes_treatment'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_item_outcomes_fine_in_case'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_item_outcomes_recorded_by_id_officers'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_item_outcomes_recorded_by_id'))
        batch_op.drop_column('recorded_by_id')
        batch_op.drop_column('fine_amount')
        batch_op.drop_column('treatment')

    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_inspection_plans_risk_model_when_weighted'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_inspection_plans_weighting'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_inspection_plans_risk_model_id_risk_models'), type_='foreignkey')
        batch_op.drop_column('risk_model_id')
        batch_op.drop_column('weighting')

    op.drop_table('leniency_decisions')
    with op.batch_alter_table('risk_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_scores_firm_id'))

    op.drop_table('risk_scores')
    with op.batch_alter_table('leniency_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leniency_entries_point_id'))
        batch_op.drop_index(batch_op.f('ix_leniency_entries_list_id'))

    op.drop_table('leniency_entries')
    with op.batch_alter_table('risk_models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_models_status'))

    op.drop_table('risk_models')
    with op.batch_alter_table('leniency_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leniency_lists_department_id'))

    op.drop_table('leniency_lists')
    with op.batch_alter_table('firm_leads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_firm_leads_received_on'))
        batch_op.drop_index(batch_op.f('ix_firm_leads_firm_id'))

    op.drop_table('firm_leads')
