"""catalogue: a ratio bound said per year (the sum of a department's plans of the item in a year), and the
earlier point a checklist point continues (replaces)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 06:00:00
"""
import re

import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('catalogue_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ratio_period', sa.String(length=8), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_catalogue_items_ratio_period'),
                                         "ratio_period is null or ratio_period = 'year'")
    with op.batch_alter_table('checklist_points', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaces', sa.Text(), nullable=True))
    # Rows loaded before: a bound whose published words say it per year (as checklists.phrases reads them:
    # a part with a share and 全年/每年/年度//年), so that re-publishing the same list changes nothing.
    items = sa.table('catalogue_items', sa.column('id', sa.Integer), sa.column('ratio_words', sa.Text),
                     sa.column('ratio_min', sa.Float), sa.column('ratio_max', sa.Float),
                     sa.column('ratio_options', sa.JSON), sa.column('ratio_period', sa.String))
    connection = op.get_bind()
    rows = connection.execute(sa.select(items.c.id, items.c.ratio_words, items.c.ratio_options).where(
        items.c.ratio_words.is_not(None), sa.or_(items.c.ratio_min.is_not(None), items.c.ratio_max.is_not(None)))).all()
    for item_id, words, options in rows:
        parts = re.split(r"[;,；，]", words)
        if not options and any(re.search(r"\d\s*[%％‰]", p) and re.search(r"全年|每年|年度|/年|每一年", p) for p in parts):
            connection.execute(sa.update(items).where(items.c.id == item_id).values(ratio_period='year'))


def downgrade() -> None:
    with op.batch_alter_table('checklist_points', schema=None) as batch_op:
        batch_op.drop_column('replaces')
    with op.batch_alter_table('catalogue_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_catalogue_items_ratio_period'), type_='check')
        batch_op.drop_column('ratio_period')
