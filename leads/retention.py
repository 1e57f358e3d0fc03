"""Retention: leads older than LEADS_RETENTION_DAYS are deleted, leaving an anonymous record.

Run daily by the `purge_expired_leads` task, or by hand with `manage.py purge_leads`.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from leads import conf
from leads.audit import record_event
from leads.models import DeskEvent, Lead


def retention_cutoff(days=None):
    days = conf.LEADS_RETENTION_DAYS if days is None else days
    return timezone.now() - timedelta(days=days)


def purge_queryset(days=None):
    return Lead.objects.filter(created_at__lt=retention_cutoff(days))


@transaction.atomic
def purge(days=None, user=None):
    """Deletes leads older than the retention period; returns how many."""
    queryset = purge_queryset(days)
    ids = list(queryset.values_list("pk", flat=True))
    if ids:
        Lead.objects.filter(pk__in=ids).delete()
        record_event(
            DeskEvent.Kind.PURGE,
            user,
            len(ids),
            {"older_than_days": days or conf.LEADS_RETENTION_DAYS},
            "leads.purge",
        )
    return len(ids)
