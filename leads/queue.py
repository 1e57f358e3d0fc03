"""What the call queue shows and what the dashboard says about it: the genuine open leads in
the order they are due (overdue first, as the earliest due), and how fast the desk calls.

Response times run from the start of the slot the reader chose (`Lead.slot_at`) to the
first call and to the first conversation; a call made before the slot opened counts as 0.
"""

import math
from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from leads.models import OPEN_STATUSES, Lead


def queue_q():
    """The filter on Lead rows that belong in the queue. A lead held for review (many from one
    address, leads/limits.py) joins it when a person clears it as genuine: until then nobody
    has decided it is worth a call, and it raises no escalation."""
    return Q(is_spam=False, needs_review=False, status__in=OPEN_STATUSES, due_at__isnull=False)


def queue():
    """The queue's leads, earliest due first, each with its number of calls so far."""
    return (
        Lead.objects.filter(queue_q())
        .select_related("owner", "form")
        .annotate(attempt_count=Count("attempts"))
        .order_by("due_at", "pk")
    )


def overdue_count(now=None):
    return Lead.objects.filter(queue_q(), due_at__lt=now or timezone.now()).count()


def percentile(values, share):
    """The nearest-rank percentile of `values` (sorted or not); None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def week_start(now):
    local = timezone.localtime(now)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=local.weekday())


def response_times(now=None):
    """Median and 90th percentile minutes from slot to first call and to first conversation,
    for leads whose slot opened this week and last week (Monday to Sunday, Europe/London),
    and how many leads each figure counts. Two queries, whatever the number of leads."""
    now = now or timezone.now()
    this_week = week_start(now)
    last_week = this_week - timedelta(days=7)
    rows = Lead.objects.filter(is_spam=False, slot_at__gte=last_week, slot_at__lt=now).values_list(
        "slot_at", "first_attempt_at", "first_conversation_at"
    )
    weeks = {name: {"call": [], "conversation": []} for name in ("this_week", "last_week")}
    for slot_at, first_call, first_conversation in rows:
        week = weeks["this_week" if slot_at >= this_week else "last_week"]
        if first_call:
            week["call"].append(max(0.0, (first_call - slot_at).total_seconds() / 60))
        if first_conversation:
            week["conversation"].append(
                max(0.0, (first_conversation - slot_at).total_seconds() / 60)
            )
    figures = {}
    for name, week in weeks.items():
        figures[name] = {
            kind: {
                "median": percentile(values, 0.5),
                "p90": percentile(values, 0.9),
                "count": len(values),
            }
            for kind, values in week.items()
        }
    figures["overdue"] = overdue_count(now)
    return figures
