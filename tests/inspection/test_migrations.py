"""The migrations build exactly the schema the models describe (tables, columns, indexes, constraints)."""
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from inspection.models import Base


def test_migrated_schema_matches_the_models(app):
    engine = app.extensions["db_engine"]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
