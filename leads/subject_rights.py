"""A person's rights over their leads: finding every one of them, erasing them on request,
and handing them a copy (a subject access export). See docs/data-protection.md."""

from django.db import transaction
from django.db.models import Q

from leads import export, phones
from leads.audit import log_on_each_lead, record_event
from leads.models import DeskEvent, Lead


def leads_of_person(email="", phone=""):
    """Every lead of one person, found by email (any case) and/or phone (any format)."""
    query = Q()
    if email.strip():
        query |= Q(email__iexact=email.strip())
    if phone.strip():
        query |= Q(phone=phones.as_e164(phone) or phone.strip())
    if not query:
        return Lead.objects.none()
    return Lead.objects.filter(query)


def matched_on(email, phone):
    """Which of the two a request named, for the anonymous record of it."""
    return [name for name, value in (("email", email), ("phone", phone)) if value.strip()]


@transaction.atomic
def erase_person(email, phone, user):
    """Deletes every lead of the person, their notes with them, leaving an anonymous record."""
    leads = leads_of_person(email, phone)
    ids = list(leads.values_list("pk", flat=True))
    if ids:
        Lead.objects.filter(pk__in=ids).delete()
    event = record_event(
        DeskEvent.Kind.ERASURE,
        user,
        len(ids),
        {"lead_ids": ids, "matched_on": matched_on(email, phone)},
        "leads.erasure",
    )
    return event


def subject_access_csv(email, phone, user):
    """The person's leads as one CSV file, the export recorded and logged on each lead."""
    leads = leads_of_person(email, phone)
    event = record_event(
        DeskEvent.Kind.SUBJECT_ACCESS,
        user,
        leads.count(),
        {"matched_on": matched_on(email, phone)},
        "leads.subject_access",
    )
    log_on_each_lead(leads, "leads.subject_access", user, {"export": event.pk})
    return export.csv_bytes(leads)
