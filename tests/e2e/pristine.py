"""`migrated_db`: a transactional database holding what the migrations created.

Kept for the tests that ask for it by name. Every transactional test starts from the migrated
database anyway: the one before it, whichever it was, wrote it back when it ended
(`_transactional_tests_leave_the_migrated_database` in tests/conftest.py).
"""

import pytest


@pytest.fixture
def migrated_db(transactional_db):
    return transactional_db
