"""Working a lead: what claims staff do to one lead from the desk, each step audit-logged.

The reader's answers are never changed here: staff move a lead through its statuses, assign
it, annotate it, clear or set its spam flag, and clear the leads held for review.
"""

from django.db import transaction
from wagtail.log_actions import log

from leads import handoff
from leads.models import Handoff, Lead, LeadNote, LeadStatus, NotificationStatus
from leads.tasks import schedule_notification

TRANSITIONS = {
    LeadStatus.NEW: [LeadStatus.CONTACTED, LeadStatus.UNREACHABLE, LeadStatus.CLOSED],
    LeadStatus.CONTACTED: [
        LeadStatus.QUALIFIED,
        LeadStatus.NOT_QUALIFIED,
        LeadStatus.UNREACHABLE,
        LeadStatus.CLOSED,
    ],
    LeadStatus.QUALIFIED: [LeadStatus.CLOSED],
    LeadStatus.NOT_QUALIFIED: [LeadStatus.CLOSED],
    # The reader rang back after all.
    LeadStatus.UNREACHABLE: [LeadStatus.CONTACTED, LeadStatus.CLOSED],
    LeadStatus.CLOSED: [LeadStatus.CONTACTED],
}


class TransitionError(ValueError):
    """The lead's status cannot change to the one asked for."""


def allowed_statuses(lead):
    return TRANSITIONS.get(lead.status, [])


def change_status(lead, new_status, user):
    if new_status == lead.status:
        return False
    if new_status not in allowed_statuses(lead):
        # The status asked for may be anything a form was sent with, not only a known one.
        label = dict(LeadStatus.choices).get(new_status, "that status")
        raise TransitionError(
            f"A {lead.get_status_display().lower()} lead cannot become {label.lower()}."
        )
    old = lead.status
    with transaction.atomic():
        lead.status = new_status
        lead.save(update_fields=["status"])
        log(lead, "leads.status", user=user, data={"from": old, "to": new_status})
        if new_status == LeadStatus.QUALIFIED:
            # Sent by the task worker once this commits (leads/handoff.py).
            handoff.hand_off(lead, user, Handoff.Trigger.QUALIFIED)
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


def clear_review(lead_ids, user, *, spam=False):
    """Clears the held leads among `lead_ids`: as genuine (each is then notified, as if it had
    just arrived) or as spam (never notified). Returns how many were cleared.

    Each lead's own history records who cleared it and how; the rows are locked so two
    people clearing the same leads at once notify each lead once.
    """
    with transaction.atomic():
        held = list(
            Lead.objects.select_for_update()
            .filter(pk__in=lead_ids, needs_review=True)
            .order_by("pk")
        )
        for lead in held:
            lead.needs_review = False
            fields = ["needs_review"]
            if spam:
                lead.is_spam = True
                fields.append("is_spam")
            if lead.notification_status == NotificationStatus.HELD:
                lead.notification_status = (
                    NotificationStatus.SKIPPED if spam else NotificationStatus.PENDING
                )
                fields.append("notification_status")
            lead.save(update_fields=fields)
            log(lead, "leads.review", user=user, data={"spam": spam})
            if "notification_status" in fields and not spam:
                task_id = schedule_notification(lead.pk)
                Lead.objects.filter(pk=lead.pk).update(notification_task_id=str(task_id)[:64])
    return len(held)
