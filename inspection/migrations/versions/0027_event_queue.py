"""event queue: records committed with their work wait here for the sealer to give them their place in the
chain, so that a request never waits on the chain's head

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 05:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'event_queue',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('kind', sa.String(length=48), nullable=False),
        sa.Column('actor', sa.String(length=96), nullable=False),
        sa.Column('subject', sa.String(length=96), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('salt', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_event_queue')),
    )


def downgrade() -> None:
    # Queued records are sealed into the chain before the table goes (run the sealer first: `inspection
    # seal-log`); a downgrade refuses to drop records that would be lost.
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM event_queue")).scalar():
        raise RuntimeError("event_queue still holds records: seal them first (inspection seal-log)")
    op.drop_table('event_queue')
