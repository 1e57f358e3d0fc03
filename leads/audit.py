"""What staff do to leads, written to Wagtail's audit log.

Entries name a lead by its number only, and a desk event (an export, an erasure, a purge)
by its counts and filters, so the log keeps no personal data once a lead is gone.
"""

import re

from wagtail.log_actions import log

from leads import conf
from leads.models import DeskEvent, Lead, LeadStatus

# (action, label, message) as registered with Wagtail's log actions by leads/wagtail_hooks.py.
LOG_ACTIONS = [
    ("leads.status", "Change lead status", "Changed status"),
    ("leads.owner", "Assign lead", "Changed owner"),
    ("leads.note", "Add note", "Added a note"),
    ("leads.attempt", "Record a call", "Recorded a call"),
    ("leads.spam", "Mark spam", "Changed the spam flag"),
    ("leads.review", "Clear review", "Cleared the hold for review"),
    ("leads.export", "Export leads", "Exported leads"),
    ("leads.erasure", "Erase a person's leads", "Erased leads on request"),
    ("leads.purge", "Purge old leads", "Purged leads past retention"),
    ("leads.subject_access", "Subject access export", "Exported a person's leads"),
    ("leads.handoff", "Hand off lead", "Handed off to the claims system"),
    ("leads.handoff_replay", "Replay hand-off", "Sent the hand-off again"),
    ("leads.handoff_delivered", "Hand-off delivered", "The claims system received the lead"),
    ("leads.handoff_gave_up", "Hand-off failed", "Gave up handing off the lead"),
]


# The list's filters an export may record, and the shapes of value kept for them: lead and
# staff numbers, dates, and the desk's own choice values. Anything else (a page title, a
# name typed into the address) is written as "(other)": a filter value can be typed by hand.
EXPORT_FILTERS = (
    "status",
    "notice",
    "owner",
    "created_at",
    "source_page",
    "form",
    "breach_type",
    "is_spam",
    "o",
)
_SAFE_VALUE = re.compile(
    # an id (too short for a phone number), a date or date and time, a column ordering
    r"\d{1,9}|\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?([+-]\d{2}:?\d{2})?)?|-?\d{1,2}(\.-?\d{1,2})*"
)
_KNOWN_WORDS = frozenset(LeadStatus.values) | {"late", "none", "true", "false", "True", "False"}
# The search box: whether a search was used is kept, never what was searched for.
SEARCH_PARAMETER = "q"


def _kept_value(value):
    return value if value in _KNOWN_WORDS or _SAFE_VALUE.fullmatch(value) else "(other)"


def export_detail(params, spreadsheet_format):
    """What an export records of the list's address: the format, which filters were used
    (with their values when they are plain choices), and whether a search term was given."""
    filters = {}
    for key, values in params.items():
        if key.split("__", 1)[0] in EXPORT_FILTERS:
            filters[key] = [_kept_value(value) for value in values]
    searched = any(value.strip() for value in params.get(SEARCH_PARAMETER, []))
    return {"format": spreadsheet_format, "filters": filters, "search": searched}


def record_event(kind, user, row_count, detail, action):
    """Stores an anonymous desk event for something done to many leads, and logs it."""
    event = DeskEvent.objects.create(kind=kind, user=user, row_count=row_count, detail=detail)
    log(event, action, user=user, data={"rows": row_count, **detail})
    return event


def log_on_each_lead(queryset, action, user, data, limit=None):
    """Also writes the event into each lead's own history, for exports small enough that this
    stays cheap; bigger ones are recorded once, on their desk event."""
    limit = conf.LEADS_PER_LEAD_LOG_MAX if limit is None else limit
    ids = list(queryset.values_list("pk", flat=True)[: limit + 1])
    if len(ids) > limit:
        return False
    for lead in Lead.objects.filter(pk__in=ids):
        log(lead, action, user=user, data=data)
    return True
