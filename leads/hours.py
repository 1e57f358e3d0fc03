"""When a lead is due to be called: the reader's chosen "best time to call" slot, within the
desk's working hours, on a working day that is not a bank holiday in the configured UK
nation, all in Europe/London wall time.

Bank holidays come from the `holidays` package (per nation: Scotland's and Northern
Ireland's differ from England's and Wales'). Every function takes the moment to start from,
so the rule can be tested with a fixed clock.
"""

import logging
from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from leads import conf

logger = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")
# Christmas to New Year is the longest run of days off; a year without one working day
# means the hours are misconfigured, and the lead is due at once rather than never.
_LOOKAHEAD_DAYS = 366


def _clock(text):
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


@lru_cache(maxsize=64)
def _bank_holidays(nation, year):
    try:
        return holidays.UnitedKingdom(subdiv=nation, years=year)
    except NotImplementedError:
        # A mistyped nation must not stop a lead being stored: the UK-wide days still apply.
        logger.error(
            "LEADS_BANK_HOLIDAY_NATION %r is not one of %s; using UK-wide bank holidays only",
            nation,
            ", ".join(holidays.UnitedKingdom.subdivisions),
        )
        return holidays.UnitedKingdom(years=year)


def bank_holiday(day):
    """The name of the bank holiday on that date in the configured nation, or None."""
    return _bank_holidays(conf.LEADS_BANK_HOLIDAY_NATION, day.year).get(day)


def is_working_day(day):
    return day.weekday() in conf.LEADS_WORKING_DAYS and bank_holiday(day) is None


def slot_window(day, callback_time):
    """The chosen slot on that day, cut to the working hours, as two aware datetimes. "Any
    time" (or a slot wholly outside the hours) is the whole working day."""
    opens, closes = (_clock(text) for text in conf.LEADS_WORKING_HOURS)
    start, end = opens, closes
    slot = conf.LEADS_CALL_SLOTS.get(callback_time)
    if slot:
        start, end = max(opens, _clock(slot[0])), min(closes, _clock(slot[1]))
        if start >= end:
            start, end = opens, closes
    return datetime.combine(day, start, LONDON), datetime.combine(day, end, LONDON)


def next_due(after, callback_time=""):
    """The first moment at or after `after` inside the reader's slot on a working day."""
    local = after.astimezone(LONDON)
    day = local.date()
    for _ in range(_LOOKAHEAD_DAYS):
        if is_working_day(day):
            start, end = slot_window(day, callback_time)
            if local < end:
                return max(local, start)
        day += timedelta(days=1)
    return local


def retry_due(now, callback_time=""):
    """When a lead is due again after a missed call: LEADS_RETRY_AFTER_MINUTES later, moved
    into the reader's slot on a working day."""
    return next_due(now + timedelta(minutes=conf.LEADS_RETRY_AFTER_MINUTES), callback_time)
