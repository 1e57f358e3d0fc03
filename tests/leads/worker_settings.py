"""Settings for a `manage.py db_worker` that a test starts as a separate process: the test
settings on the test's own PostgreSQL database (DATABASE_URL), the database task backend, and
mail written to files in TEST_MAIL_DIR so the test can count what every process sent, and
the hand-off receiver the test started."""

import os

from cms.settings.test import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
EMAIL_BACKEND = "tests.leads.slow_mail.SlowFileBackend"
EMAIL_FILE_PATH = os.environ["TEST_MAIL_DIR"]
LEADS_NOTIFY_STALLED_AFTER_SECONDS = float(
    os.environ.get("LEADS_NOTIFY_STALLED_AFTER_SECONDS", 300)
)
LEADS_ESCALATION_SWEEP_SECONDS = float(os.environ.get("LEADS_ESCALATION_SWEEP_SECONDS", 60))
# The hand-off: the test's receiver, and a short claim so a second worker may take over.
LEADS_WEBHOOK_URL = os.environ.get("LEADS_WEBHOOK_URL", "")
LEADS_WEBHOOK_SECRET = os.environ.get("LEADS_WEBHOOK_SECRET", "")
LEADS_WEBHOOK_CLAIM_SECONDS = float(os.environ.get("LEADS_WEBHOOK_CLAIM_SECONDS", 60))
