"""Log lines keep what an engineer needs and lose what would identify a person."""

import io
import logging

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from home.security.log_filters import PersonalDataFilter, redact

PERSON = {
    "name": "Jane Doe",
    "email": "jane.doe@example.co.uk",
    "phone": "07700 900123",
    "ip": "203.0.113.42",
}


@pytest.fixture
def log_output():
    """A logger wired the way settings.LOGGING wires its handlers, writing to a buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    handler.addFilter(PersonalDataFilter())
    logger = logging.getLogger("tests.personal_data")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, buffer
    logger.removeHandler(handler)


def _assert_no_person(text):
    for value in PERSON.values():
        assert value not in text
    assert "Jane" not in text


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Lead from jane.doe@example.co.uk", "Lead from [redacted]"),
        ("call 07700 900123 today", "call [redacted] today"),
        ("call +44 (0)20 7946 0000", "call [redacted]"),
        ("client 203.0.113.42 refused", "client [redacted] refused"),
        ("client 2001:db8::7 refused", "client [redacted] refused"),
        ("full_name=Jane Doe status=new", "full_name=[redacted] status=new"),
        ("{'full_name': 'Jane Doe', 'page': 7}", "{'full_name': [redacted], 'page': 7}"),
        (
            "Key (email)=(jane@example.test) already exists.",
            "Key (email)=([redacted]) already exists.",
        ),
        ("postcode SW1A 1AA", "postcode [redacted]"),
        # What must survive: ids, counts, dates, times, durations, versions.
        ("lead 1234 saved in 0.0421 s", "lead 1234 saved in 0.0421 s"),
        ("at 2026-11-25 15:46:27, v8.0.1", "at 2026-11-25 15:46:27, v8.0.1"),
        ("status=new page_id=42", "status=new page_id=42"),
    ],
)
def test_redact(line, expected):
    assert redact(line) == expected


def test_message_arguments_extra_and_traceback_are_redacted(log_output):
    logger, buffer = log_output
    logger.info("Lead name=%s <%s> from %s", PERSON["name"], PERSON["email"], PERSON["ip"])
    logger.info("Notice queued", extra={"phone": PERSON["phone"], "lead_id": 12})
    try:
        raise ValueError(f"bad phone {PERSON['phone']} for {PERSON['email']}")
    except ValueError:
        logger.exception("Could not save lead for name=%s", PERSON["name"])
    text = buffer.getvalue()
    assert "Notice queued" in text
    assert "ValueError: bad phone [redacted] for [redacted]" in text
    assert "Traceback" in text
    # An unlabelled value runs to the end of the line: more goes than needed, never less.
    assert "Lead name=[redacted]\n" in text
    _assert_no_person(text)


def test_extra_fields_used_by_a_formatter_are_redacted():
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(message)s email=%(email)s lead=%(lead_id)s"))
    handler.addFilter(PersonalDataFilter())
    record = logging.makeLogRecord(
        {"msg": "saved", "email": PERSON["email"], "lead_id": 12, "levelno": logging.INFO}
    )
    handler.handle(record)
    assert buffer.getvalue().strip() == "saved email=[redacted] lead=12"


def test_every_configured_handler_has_the_filter():
    filters = settings.LOGGING["filters"]
    assert filters["no_personal_data"]["()"] == "home.security.log_filters.PersonalDataFilter"
    for name, handler in settings.LOGGING["handlers"].items():
        assert "no_personal_data" in handler.get("filters", []), name


@pytest.mark.django_db
def test_failed_sign_in_logs_neither_username_nor_address(client, app_log_output, settings):
    """django-axes logs every failed sign-in with the username and address tried; what the
    configured handlers write must hold neither, even with axes' own masking switched off."""
    settings.AXES_SENSITIVE_PARAMETERS = []
    get_user_model().objects.create_user("jane.doe", PERSON["email"], "x" * 20)
    client.post(
        "/admin/login/",
        {"username": PERSON["email"], "password": "wrong"},
        REMOTE_ADDR=PERSON["ip"],
    )
    text = app_log_output()
    assert "login failure" in text.lower()
    assert PERSON["email"] not in text
    assert PERSON["ip"] not in text


@pytest.mark.parametrize(
    "name", ["", "django", "django.request", "django.server", "django.security", "axes", "wagtail"]
)
def test_every_handler_a_record_can_reach_filters_personal_data(name):
    logger = logging.getLogger(name)
    reached = []
    while logger:
        reached += [
            handler
            for handler in logger.handlers
            if not type(handler).__module__.startswith("_pytest")  # pytest's own capture
        ]
        logger = logger.parent if logger.propagate else None
    assert reached, "records must go somewhere"
    for handler in reached:
        assert any(isinstance(f, PersonalDataFilter) for f in handler.filters), handler
