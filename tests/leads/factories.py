import itertools
from datetime import datetime

from django.utils import timezone

from leads.models import Lead

_n = itertools.count(1)


def make_lead(**fields):
    n = next(_n)
    values = {
        "full_name": f"Reader {n}",
        "phone": f"+44121496{n:04d}",
        "email": f"reader{n}@example.com",
        "callback_time": "morning",
        "privacy_acknowledged_at": timezone.now(),
        "source_page_title": "Police case study",
        "source_page_url": "/case-studies/police/",
        "notification_status": "sent",
    }
    values.update(fields)
    if isinstance(values.get("created_at"), datetime) and timezone.is_naive(values["created_at"]):
        values["created_at"] = timezone.make_aware(values["created_at"])
    return Lead.objects.create(**values)
