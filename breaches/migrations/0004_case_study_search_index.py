"""The case studies' full-text index on PostgreSQL (see breaches/search_index.py): a weighted
tsvector with a GIN index, and the names with a pg_trgm GIN index for near spellings.

PostgreSQL only, and not model fields: nothing is created on SQLite, and Django's model state
does not change. The rows are filled after migrate (breaches.search_index.index_missing), with
the same code that indexes each case study when it is saved."""

from django.db import migrations

CREATE = [
    "ALTER TABLE breaches_breachcasestudypage"
    " ADD COLUMN IF NOT EXISTS search_vector tsvector,"
    " ADD COLUMN IF NOT EXISTS search_names text",
    "CREATE INDEX IF NOT EXISTS breaches_casestudy_search_vector_gin"
    " ON breaches_breachcasestudypage USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS breaches_casestudy_search_names_trgm"
    " ON breaches_breachcasestudypage USING gin (search_names gin_trgm_ops)",
]
DROP = [
    "DROP INDEX IF EXISTS breaches_casestudy_search_names_trgm",
    "DROP INDEX IF EXISTS breaches_casestudy_search_vector_gin",
    "ALTER TABLE breaches_breachcasestudypage"
    " DROP COLUMN IF EXISTS search_names, DROP COLUMN IF EXISTS search_vector",
]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("breaches", "0003_search_extensions")]

    operations = [migrations.RunPython(run(CREATE), run(DROP))]
