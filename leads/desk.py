"""What staff do to leads, each step written to Wagtail's audit log.

The reader's answers are never changed here: staff move a lead through its statuses, assign
it, annotate it, un-flag spam, export, and erase on request or at the end of retention.
Audit entries name a lead by its number only, so they keep no personal data once it is gone.
"""

from datetime import timedelta

import phonenumbers
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from wagtail.log_actions import log

from leads.models import DeskEvent, Lead, LeadNote, LeadStatus, NotificationStatus

TRANSITIONS = {
    LeadStatus.NEW: [LeadStatus.CONTACTED, LeadStatus.CLOSED],
    LeadStatus.CONTACTED: [LeadStatus.QUALIFIED, LeadStatus.NOT_QUALIFIED, LeadStatus.CLOSED],
    LeadStatus.QUALIFIED: [LeadStatus.CLOSED],
    LeadStatus.NOT_QUALIFIED: [LeadStatus.CLOSED],
    LeadStatus.CLOSED: [LeadStatus.CONTACTED],
}

LOG_ACTIONS = [
    ("leads.status", "Change lead status", "Changed status"),
    ("leads.owner", "Assign lead", "Changed owner"),
    ("leads.note", "Add note", "Added a note"),
    ("leads.spam", "Mark spam", "Changed the spam flag"),
    ("leads.export", "Export leads", "Exported leads"),
    ("leads.erasure", "Erase a person's leads", "Erased leads on request"),
    ("leads.purge", "Purge old leads", "Purged leads past retention"),
    ("leads.subject_access", "Subject access export", "Exported a person's leads"),
]


class TransitionError(ValueError):
    pass


def allowed_statuses(lead):
    return TRANSITIONS.get(lead.status, [])


def change_status(lead, new_status, user):
    if new_status == lead.status:
        return False
    if new_status not in allowed_statuses(lead):
        raise TransitionError(
            f"A {lead.get_status_display().lower()} lead cannot become "
            f"{LeadStatus(new_status).label.lower()}."
        )
    old = lead.status
    lead.status = new_status
    lead.save(update_fields=["status"])
    log(lead, "leads.status", user=user, data={"from": old, "to": new_status})
    return True


def assign_owner(lead, owner, user):
    if lead.owner_id == (owner.pk if owner else None):
        return False
    old = lead.owner.get_username() if lead.owner else None
    lead.owner = owner
    lead.save(update_fields=["owner"])
    log(
        lead,
        "leads.owner",
        user=user,
        data={"from": old, "to": owner.get_username() if owner else None},
    )
    return True


def add_note(lead, text, user):
    note = LeadNote.objects.create(lead=lead, author=user, text=text.strip())
    # The note's text may hold personal details: the audit log records only that it exists.
    log(lead, "leads.note", user=user, data={"note": note.pk})
    return note


def set_spam(lead, is_spam, user):
    if lead.is_spam == is_spam:
        return False
    from leads.tasks import schedule_notification

    with transaction.atomic():
        lead.is_spam = is_spam
        fields = ["is_spam"]
        if not is_spam and lead.notification_status == NotificationStatus.SKIPPED:
            # A real person after all: tell the claims team now.
            lead.notification_status = NotificationStatus.PENDING
            fields.append("notification_status")
        lead.save(update_fields=fields)
        log(lead, "leads.spam", user=user, data={"is_spam": is_spam})
        if "notification_status" in fields:
            schedule_notification(lead.pk)
    return True


def record_event(kind, user, row_count, detail, action):
    event = DeskEvent.objects.create(kind=kind, user=user, row_count=row_count, detail=detail)
    log(event, action, user=user, data={"rows": row_count, **detail})
    return event


def log_on_each_lead(queryset, action, user, data, limit=None):
    """Also writes the event into each lead's own history, for exports small enough that this
    stays cheap; bigger ones are recorded once, on their desk event."""
    limit = getattr(settings, "LEADS_PER_LEAD_LOG_MAX", 500) if limit is None else limit
    ids = list(queryset.values_list("pk", flat=True)[: limit + 1])
    if len(ids) > limit:
        return False
    for lead in Lead.objects.filter(pk__in=ids):
        log(lead, action, user=user, data=data)
    return True


def leads_of_person(email="", phone=""):
    """Every lead of one person, found by email (any case) and/or phone (any format)."""
    query = Q()
    if email.strip():
        query |= Q(email__iexact=email.strip())
    if phone.strip():
        try:
            number = phonenumbers.parse(phone, "GB")
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            e164 = phone.strip()
        query |= Q(phone=e164)
    if not query:
        return Lead.objects.none()
    return Lead.objects.filter(query)


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
        {"lead_ids": ids, "matched_on": _matched_on(email, phone)},
        "leads.erasure",
    )
    return event


def _matched_on(email, phone):
    return [name for name, value in (("email", email), ("phone", phone)) if value.strip()]


def retention_cutoff(days=None):
    days = settings.LEADS_RETENTION_DAYS if days is None else days
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
            {"older_than_days": days or settings.LEADS_RETENTION_DAYS},
            "leads.purge",
        )
    return len(ids)
