"""What the logs hold after call-back requests, good and bad: never who the reader is.

Everything is logged at DEBUG for the length of each test, through the handlers the settings
configure (their output is read from a buffer) and through pytest's capture on the root
logger, and then searched for the reader's name, email, phone (as typed and as stored) and
IP address.
"""

import io
import logging

import pytest
from django.conf import settings as django_settings

from leads.models import Lead, NotificationStatus
from tests.leads.helpers import read_callback_form

pytestmark = pytest.mark.django_db

READER = {
    "full_name": "Wilhelmina Quarterbridge",
    "phone": "0121 496 0457",
    "email": "w.quarterbridge@example.org",
    "callback_time": "afternoon",
    "privacy_ack": "on",
}
IP = "198.51.100.23"
# Each piece that on its own would point at the reader.
SECRETS = [
    "Wilhelmina",
    "Quarterbridge",
    "w.quarterbridge",
    "example.org",
    "0121 496 0457",
    "01214960457",
    "+441214960457",
    "1214960457",
    IP,
]
# Loggers whose output the settings route somewhere, each opened up to DEBUG for the test.
LOGGERS = ["", *django_settings.LOGGING.get("loggers", {}), "leads", "home", "axes", "wagtail"]


@pytest.fixture
def logs(caplog):
    """All log output while the test runs: the configured handlers' and pytest's capture."""
    caplog.set_level(logging.DEBUG)
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    buffer = io.StringIO()
    swapped = []
    for name in LOGGERS:
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, logging.StreamHandler) and handler not in (
                h for h, _ in swapped
            ):
                if type(handler).__module__.startswith("_pytest"):
                    continue
                swapped.append((handler, handler.setStream(buffer)))
                handler.setLevel(logging.DEBUG)
    assert swapped, "the settings configure no stream handler to read"

    def text():
        for handler, _ in swapped:
            handler.flush()
        records = "\n".join(
            f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
        )
        return buffer.getvalue() + "\n" + caplog.text + "\n" + records

    yield text
    for handler, stream in swapped:
        handler.setStream(stream)
        handler.setLevel(logging.NOTSET)


def assert_nothing_personal(text):
    for secret in SECRETS:
        assert secret.lower() not in text.lower(), f"{secret!r} is in the logs:\n{text}"


def post_form(client, home_html, headers=None, **overrides):
    action, hidden = read_callback_form(home_html)
    data = {**hidden, **READER, **overrides}
    extra = {"HTTP_SEC_FETCH_SITE": "same-origin", "REMOTE_ADDR": IP, **(headers or {})}
    return client.post(action, data, **extra)


@pytest.fixture
def smtp_down(settings):
    """Real SMTP to a port where nothing listens, so the notice cannot be sent."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9
    settings.EMAIL_TIMEOUT = 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.LEADS_NOTIFY_MAX_ATTEMPTS = 2


def test_successful_submission(client, home_html, humans_are_quick, logs):
    response = post_form(client, home_html)
    assert response.status_code == 303
    lead = Lead.objects.get()
    assert lead.full_name == READER["full_name"]
    assert lead.notification_status == NotificationStatus.SENT
    # A duplicate a moment later is folded into the first, and logged as such.
    assert post_form(client, home_html).status_code == 303
    text = logs()
    assert f"lead {lead.pk}" in text.lower(), "the logs should still say what happened"
    assert_nothing_personal(text)


def test_failing_submissions(client, home_html, humans_are_quick, settings, logs):
    # Answers refused: the page comes back with the reader's input in it.
    assert post_form(client, home_html, phone="0121 BAD").status_code == 400
    assert post_form(client, home_html, email="w.quarterbridge@").status_code == 400
    # Sent from another site, and with a forged token.
    foreign = {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_REFERER": "https://evil.example/"}
    assert post_form(client, home_html, headers=foreign).status_code == 403
    assert post_form(client, home_html, token="forged").status_code == 400
    # The bot trap filled in, then too many requests from one address.
    post_form(client, home_html, website="http://spam.example/")
    settings.LEADS_FLOOD_LIMIT = (1, 60)
    assert post_form(client, home_html).status_code == 429
    text = logs()
    assert "refused" in text.lower(), "refusals should be logged"
    assert_nothing_personal(text)


def test_notification_email_failure(client, home_html, humans_are_quick, smtp_down, logs):
    assert post_form(client, home_html).status_code == 303
    lead = Lead.objects.get()
    assert lead.notification_status == NotificationStatus.GAVE_UP
    text = logs()
    assert "notification attempt 1 failed" in text
    assert "gave up" in text
    assert_nothing_personal(text)
