"""A freshly migrated database for every live-server or transactional test.

Transactional tests flush the database afterwards, which also removes what migrations
created (Wagtail's root page and locale, the staff groups). Django's serialized rollback
should restore it, but once Playwright's fixtures had run, later tests found no serialized
copy on their connection and started from an empty database. `migrated_db` keeps its own
copy, taken by the first test that uses it, and restores it when needed.
"""

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection
from wagtail.models import Page

_copy = {}


@pytest.fixture
def migrated_db(request, transactional_db):
    if Page.objects.filter(depth=1).exists():
        if "default" not in _copy:
            _copy["default"] = connection.creation.serialize_db_to_string()
        return
    if "default" not in _copy:
        # Flushed by a serialized-rollback test before any copy was taken: in tests/e2e the
        # copy Django serialized after migrating is kept for the session (see conftest.py).
        try:
            contents = request.getfixturevalue("_migrated_data").get("default")
        except pytest.FixtureLookupError:
            contents = None
        if not contents:
            pytest.fail("the database was flushed before a copy of it could be taken")
        _copy["default"] = contents
    # Flushed, and post_migrate refilled content types and permissions under new ids:
    # empty it completely, then put the migrated rows back with their own ids.
    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    connection.creation.deserialize_db_from_string(_copy["default"])
    ContentType.objects.clear_cache()
    # The flush restarted id sequences (PostgreSQL); move them past the restored rows.
    statements = connection.ops.sequence_reset_sql(
        no_style(), apps.get_models(include_auto_created=True)
    )
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
