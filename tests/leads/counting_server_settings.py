"""Settings for a gunicorn that a test starts to count page views in two processes: the test
settings on the test's PostgreSQL database, counts handed to the test's own Redis each second."""

import os

from cms.settings.test import *  # noqa: F403

LEADS_COUNT_REDIS_URL = os.environ["TEST_COUNT_REDIS_URL"]
LEADS_COUNT_FLUSH_SECONDS = 1
