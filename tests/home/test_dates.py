"""`|date` from home/templatetags/dates.py: Django's filter, a calendar date's text kept per
process; the same text as Django's for every date, format, language and setting."""

import datetime
import zoneinfo

import pytest
from django.template import engines
from django.utils import translation

from home.templatetags import dates

# The settings fixture needs the test database set up (tests/conftest.py).
pytestmark = pytest.mark.django_db

FORMATS = ["", ":'Y-m-d'", ':"F Y"', ':"M Y"', ':"j F Y"', ':"DATE_FORMAT"', ':"D jS N"']


def _both(value, fmt):
    ours = engines["django"].from_string(f"{{% load dates %}}{{{{ value|date{fmt} }}}}")
    django = engines["django"].from_string(f"{{{{ value|date{fmt} }}}}")
    return ours.render({"value": value}), django.render({"value": value})


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("language", ["en-gb", "fr", "de"])
def test_dates_as_django_writes_them(fmt, language):
    with translation.override(language):
        for value in (datetime.date(2023, 5, 1), datetime.date(1999, 12, 31)):
            for _ in range(2):  # worked out, then kept
                ours, django = _both(value, fmt)
                assert ours == django


@pytest.mark.parametrize("fmt", [":'c'", ':"H:i e"', ""])
def test_datetimes_and_other_values_go_to_djangos_filter(fmt, settings):
    settings.USE_TZ = True
    moment = datetime.datetime(2023, 5, 1, 12, 30, tzinfo=datetime.UTC)
    elsewhere = moment.astimezone(zoneinfo.ZoneInfo("America/New_York"))
    for value in (moment, elsewhere, None, "", "not a date"):
        ours, django = _both(value, fmt)
        assert ours == django


def test_a_changed_setting_forgets_the_kept_texts(settings):
    value = datetime.date(2023, 5, 1)
    assert _both(value, "")[0] == _both(value, "")[1]
    assert dates._formatted
    settings.DATE_FORMAT = "Y/m/d"  # formats may come from settings: nothing kept survives
    assert not dates._formatted
    assert _both(value, "")[0] == _both(value, "")[1]
