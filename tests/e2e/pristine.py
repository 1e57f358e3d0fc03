"""`migrated_db`: a transactional database holding what the migrations created.

Kept for the tests that ask for it by name; the work is done for every transactional test by
`_restore_migrated_database` in tests/conftest.py.
"""

import pytest


@pytest.fixture
def migrated_db(transactional_db):
    return transactional_db
