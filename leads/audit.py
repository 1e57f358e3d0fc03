"""What staff do to leads, written to Wagtail's audit log.

Entries name a lead by its number only, and a desk event (an export, an erasure, a purge)
by its counts and filters, so the log keeps no personal data once a lead is gone.
"""

from wagtail.log_actions import log

from leads import conf
from leads.models import DeskEvent, Lead

# (action, label, message) as registered with Wagtail's log actions by leads/wagtail_hooks.py.
LOG_ACTIONS = [
    ("leads.status", "Change lead status", "Changed status"),
    ("leads.owner", "Assign lead", "Changed owner"),
    ("leads.note", "Add note", "Added a note"),
    ("leads.spam", "Mark spam", "Changed the spam flag"),
    ("leads.review", "Clear review", "Cleared the hold for review"),
    ("leads.export", "Export leads", "Exported leads"),
    ("leads.erasure", "Erase a person's leads", "Erased leads on request"),
    ("leads.purge", "Purge old leads", "Purged leads past retention"),
    ("leads.subject_access", "Subject access export", "Exported a person's leads"),
]


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
