"""firm short code: a short code with a check character beside each entry token, for typing by hand

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 23:55:00
"""
import secrets

from alembic import op
import sqlalchemy as sa
from stdnum import luhn


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# As in inspection/short_codes.py when this migration was written: 8 random characters of Crockford's
# base32 alphabet and a Luhn mod 32 check character.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _short_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return body + luhn.calc_check_digit(body, alphabet=ALPHABET)


def upgrade() -> None:
    with op.batch_alter_table('entry_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('short_code', sa.String(length=16), nullable=True))

    tokens = sa.table('entry_tokens', sa.column('id', sa.Integer()), sa.column('short_code', sa.String(16)))
    connection = op.get_bind()
    issued: set[str] = set()
    for (token_id,) in connection.execute(sa.select(tokens.c.id).order_by(tokens.c.id)).all():
        code = _short_code()
        while code in issued:
            code = _short_code()
        issued.add(code)
        connection.execute(tokens.update().where(tokens.c.id == token_id).values(short_code=code))

    with op.batch_alter_table('entry_tokens', schema=None) as batch_op:
        batch_op.alter_column('short_code', existing_type=sa.String(length=16), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_entry_tokens_short_code'), ['short_code'])


def downgrade() -> None:
    with op.batch_alter_table('entry_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_entry_tokens_short_code'), type_='unique')
        batch_op.drop_column('short_code')
