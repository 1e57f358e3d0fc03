"""Which leads' notices are late: the one rule behind the desk's "Notice late" column, its
filter, the lead's page and the dashboard count, so a stopped task worker is noticed within
minutes by the staff who look at the desk.

A notice is late when it is still waiting for its first send and the lead is older than
LEADS_NOTIFY_LATE_AFTER_SECONDS, or it failed and its retry was due that long ago: either
way the worker that should have sent it has not.
"""

import datetime

from django.db.models import Q
from django.utils import timezone

from leads import conf
from leads.models import NotificationStatus


def late_cutoff(now=None):
    return (now or timezone.now()) - datetime.timedelta(
        seconds=conf.LEADS_NOTIFY_LATE_AFTER_SECONDS
    )


def late_q(now=None):
    """The filter on Lead rows whose notice is late."""
    cutoff = late_cutoff(now)
    return Q(notification_status=NotificationStatus.PENDING, created_at__lt=cutoff) | Q(
        Q(notification_next_attempt_at__lt=cutoff)
        | Q(notification_next_attempt_at__isnull=True, created_at__lt=cutoff),
        notification_status=NotificationStatus.RETRYING,
    )


def is_late(lead, now=None):
    """The same rule for one lead already loaded (the list asks it of every row)."""
    cutoff = late_cutoff(now)
    if lead.notification_status == NotificationStatus.PENDING:
        return lead.created_at < cutoff
    if lead.notification_status == NotificationStatus.RETRYING:
        due = lead.notification_next_attempt_at or lead.created_at
        return due < cutoff
    return False
