"""Fuzzy search on PostgreSQL: the unaccent and pg_trgm extensions and the trigram indexes
on the search index, made by modelsearch's own commands in the order its docs require
(enable_unaccent, then enable_trigram). Nothing to do on SQLite.

Creating extensions needs a role allowed to; where it is not, a DBA runs
`CREATE EXTENSION unaccent; CREATE EXTENSION pg_trgm;` and this migration is re-run."""

import os

from django.core.management import call_command
from django.db import migrations


def enable(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quiet = open(os.devnull, "w")  # noqa: SIM115 - closed below
    try:
        call_command("enable_unaccent", stdout=quiet)
        call_command("enable_trigram", stdout=quiet)
    finally:
        quiet.close()


class Migration(migrations.Migration):
    dependencies = [
        ("breaches", "0002_editors_permissions"),
        ("wagtailsearch", "0010_add_text_fields"),
    ]

    operations = [migrations.RunPython(enable, migrations.RunPython.noop)]
