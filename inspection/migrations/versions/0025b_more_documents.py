"""more documents: the sampling, premises and questioning records with what the officer composed, the order
to rectify (责令改正通知书), and the firm's statements (陈述、申辩) on a result notice or an order

Revision ID: 0025b
Revises: 0024
Create Date: 2026-12-05 22:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0025b'
down_revision = '0025d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content', sa.JSON(), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_documents_kind'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_documents_kind'),
            "kind in ('approval','notice','record','sampling','premises','questioning','result','order')")
    op.create_table('document_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_statements_document_id_documents')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_document_statements_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_statements'))
    )
    with op.batch_alter_table('document_statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_statements_document_id'), ['document_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('document_statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_statements_document_id'))
    op.drop_table('document_statements')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_documents_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_documents_kind'),
                                         "kind in ('approval','notice','record','result')")
        batch_op.drop_column('content')
