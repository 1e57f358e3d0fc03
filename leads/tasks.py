"""Background jobs of the leads app: telling the claims team about a new lead, running again
the notices whose worker died mid-job, telling the lead managers about leads left uncalled
past their due time, and the daily retention purge.

The email names the lead by its number and links to it in the admin; the person's name,
phone and email stay in the database, not in mailboxes.
"""

import contextlib
import datetime
import logging

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from leads import conf, handoff, stalled
from leads.links import lead_admin_url, site_base, source_page_url
from leads.models import Lead, NotificationStatus
from leads.queue import queue_q
from leads.retention import purge

logger = logging.getLogger(__name__)


def max_attempts():
    return conf.LEADS_NOTIFY_MAX_ATTEMPTS


def retry_delay(attempt):
    """Backoff after the given failed attempt: 1, 2, 4, 8... minutes, capped at an hour."""
    base = conf.LEADS_NOTIFY_RETRY_BASE_SECONDS
    return datetime.timedelta(seconds=min(base * 2 ** (attempt - 1), 3600))


def recipients_for(lead):
    if lead.form is not None and lead.form.notify_recipients:
        return lead.form.notify_recipients
    return list(conf.LEADS_NOTIFY_TO)


def build_message(lead, recipients):
    page_url = source_page_url(lead)
    received = timezone.localtime(lead.created_at).strftime("%d %b %Y %H:%M %Z")
    lines = [
        f"A reader asked for a call back ({lead.get_callback_time_display().lower()}).",
        "",
        f"Lead: #{lead.pk}, received {received}",
        f"Open it in the leads desk: {lead_admin_url(lead)}",
        "",
        f"From the page: {lead.source_page_title or 'unknown page'}",
    ]
    if page_url:
        lines.append(page_url)
    return staff_email(f"New call-back request #{lead.pk}", lines, recipients)


def staff_email(subject, lines, recipients):
    """A notice to staff: lead numbers and desk links, never a reader's details, which the
    closing line says are in the desk only."""
    lines = [
        *lines,
        "",
        "The reader's details are in the leads desk only; please do not forward this email.",
    ]
    return EmailMessage(subject=subject, body="\n".join(lines), to=recipients)


@task()
def send_lead_notification(lead_id):
    """Emails the claims team about one lead; on failure records why and tries again later."""
    lead = Lead.objects.select_related("form").filter(pk=lead_id).first()
    if lead is None:
        return "lead gone"
    if lead.is_spam:
        Lead.objects.filter(pk=lead.pk).update(notification_status=NotificationStatus.SKIPPED)
        return "spam"
    if lead.needs_review:
        # Held: the notice goes when a person clears the lead (leads.casework.clear_review).
        return "held"
    if lead.notification_status in (NotificationStatus.SENT, NotificationStatus.GAVE_UP):
        return lead.notification_status

    recipients = recipients_for(lead)
    now = timezone.now()
    if not recipients:
        logger.warning("Lead %s: no notification recipients configured", lead.pk)
        Lead.objects.filter(pk=lead.pk).update(
            notification_status=NotificationStatus.NO_RECIPIENTS,
            notification_last_attempt_at=now,
        )
        return "no recipients"

    attempt = lead.notification_attempts + 1
    connection = get_connection()
    try:
        connection.open()
        connection.send_messages([build_message(lead, recipients)])
    except Exception as exc:  # any mail failure is recorded on the lead, never raised
        with contextlib.suppress(Exception):
            connection.close()
        return _record_failure(lead, attempt, exc)

    # Recorded before the mail connection is closed: a worker killed between the mail
    # server's acceptance and this update sends the notice again when its job is recovered
    # (docs/deployment.md), so nothing but this update stands between the two.
    Lead.objects.filter(pk=lead.pk).update(
        notification_status=NotificationStatus.SENT,
        notification_attempts=attempt,
        notification_last_attempt_at=now,
        notification_sent_at=timezone.now(),
        notification_next_attempt_at=None,
    )
    # The message is accepted and recorded; a failing goodbye to the mail server changes
    # neither.
    with contextlib.suppress(Exception):
        connection.close()
    return "sent"


def _record_failure(lead, attempt, exc):
    now = timezone.now()
    # The class and message only: SMTP errors name our own servers and recipients, never
    # the reader, but keep it short anyway.
    error = f"{type(exc).__name__}: {exc}"[:300]
    logger.warning(
        "Lead %s: notification attempt %s failed (%s)", lead.pk, attempt, type(exc).__name__
    )
    if attempt >= max_attempts():
        Lead.objects.filter(pk=lead.pk).update(
            notification_status=NotificationStatus.GAVE_UP,
            notification_attempts=attempt,
            notification_last_attempt_at=now,
            notification_last_error=error,
            notification_next_attempt_at=None,
        )
        logger.error("Lead %s: notification gave up after %s attempts", lead.pk, attempt)
        return "gave up"

    next_at = now + retry_delay(attempt)
    with transaction.atomic():
        Lead.objects.filter(pk=lead.pk).update(
            notification_status=NotificationStatus.RETRYING,
            notification_attempts=attempt,
            notification_last_attempt_at=now,
            notification_last_error=error,
            notification_next_attempt_at=next_at,
        )
        schedule_notification(lead.pk, run_after=next_at)
    return "retrying"


def schedule_notification(lead_id, run_after=None):
    """Enqueues the notification; deferred where the backend can defer, else straight away."""
    job = send_lead_notification
    if run_after is not None and job.get_backend().supports_defer:
        job = job.using(run_after=run_after)
    result = job.enqueue(lead_id)
    return result.id


def recovery_interval():
    """How often the sweep for stalled notifications runs: a fifth of the stall limit, so a
    job whose worker died is run again at most 1.2 limits after it started."""
    return datetime.timedelta(seconds=max(1, conf.LEADS_NOTIFY_STALLED_AFTER_SECONDS / 5))


def book_once(job, run_after=None):
    """Books a sweep that re-books itself, unless one is already waiting; only with a
    backend that can defer (with the immediate backend it would recurse)."""
    if not job.get_backend().supports_defer:
        return None
    if stalled.waiting_jobs(job).exists():
        return None
    if run_after is not None:
        job = job.using(run_after=run_after)
    return job.enqueue().id


def book_recovery(run_after=None):
    """Books the stalled-notification sweep unless one is already waiting."""
    return book_once(recover_stalled_notifications, run_after)


def _requeue_notification(lead_id):
    waiting = Lead.objects.filter(
        pk=lead_id,
        is_spam=False,
        notification_status__in=[NotificationStatus.PENDING, NotificationStatus.RETRYING],
    )
    if waiting.exists():
        task_id = schedule_notification(lead_id)
        waiting.update(notification_task_id=str(task_id)[:64])


@task()
def recover_stalled_notifications():
    """Runs again each notification whose worker died mid-job (a lead still waiting for its
    notice gets a new job; one already sent is left alone), and likewise each hand-off to the
    claims system (leads/handoff.py), then books its own next run."""
    limit = conf.LEADS_NOTIFY_STALLED_AFTER_SECONDS
    released = stalled.release_stalled(send_lead_notification, limit, _requeue_notification)
    if released:
        logger.warning("Requeued %s notification jobs whose worker stopped mid-job", released)
    handoffs = handoff.recover_stalled(limit)
    if handoffs:
        logger.warning("Requeued %s hand-offs whose worker stopped or whose job was lost", handoffs)
    stalled.prune_finished(recover_stalled_notifications, datetime.timedelta(days=1))
    book_recovery(run_after=timezone.now() + recovery_interval())
    return released


@task()
def purge_expired_leads():
    """The retention purge as a background job; it books its own next run a day later."""
    removed = purge()
    logger.info("Retention purge removed %s leads", removed)
    backend = purge_expired_leads.get_backend()
    if backend.supports_defer and conf.LEADS_PURGE_RESCHEDULE:
        purge_expired_leads.using(run_after=timezone.now() + datetime.timedelta(days=1)).enqueue()
    return removed


# --------------------------------------------------------------------------------------------
# Escalation: a lead still untouched LEADS_ESCALATE_AFTER_MINUTES after it became due.


def escalation_q(now):
    """Queue leads due longer ago than the limit, not called since, not yet announced for
    this due time."""
    cutoff = now - datetime.timedelta(minutes=conf.LEADS_ESCALATE_AFTER_MINUTES)
    return (
        queue_q()
        & Q(due_at__lte=cutoff)
        & (Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=F("due_at")))
        & (Q(escalated_due_at__isnull=True) | ~Q(escalated_due_at=F("due_at")))
    )


def lead_managers_addresses():
    """The active lead managers' email addresses; LEADS_NOTIFY_TO when none has one."""
    addresses = (
        get_user_model()
        .objects.filter(groups__name="Lead managers", is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
        .order_by("email")
    )
    return list(addresses) or list(conf.LEADS_NOTIFY_TO)


def build_escalation(leads, recipients, now):
    lines = [
        f"{len(leads)} call-back request{'s are' if len(leads) != 1 else ' is'} waiting past "
        "the time it was due, and nobody has called yet.",
        "",
    ]
    for lead in leads:
        due = timezone.localtime(lead.due_at)
        waited = int((now - lead.due_at).total_seconds() // 60)
        lines.append(f"Lead #{lead.pk}: due {due:%a %d %b %H:%M}, {waited} minutes ago")
        lines.append(f"  {lead_admin_url(lead)}")
    lines += ["", f"Open the call queue: {site_base()}{reverse('leads_queue')}"]
    subject = f"{len(leads)} call-back request{'s' if len(leads) != 1 else ''} overdue"
    return staff_email(subject, lines, recipients)


def escalate_overdue(now=None):
    """Sends one notice about the leads newly past the limit; returns how many it named.

    Each lead is claimed for its due time before the notice goes out, so two sweeps never
    announce the same lead twice; if sending fails, the claims are released for the next."""
    now = now or timezone.now()
    candidates = list(
        Lead.objects.filter(escalation_q(now))
        .order_by("due_at", "pk")
        .values_list("pk", "due_at")[:200]
    )
    claimed = [
        pk
        for pk, due_at in candidates
        if Lead.objects.filter(escalation_q(now), pk=pk, due_at=due_at).update(
            escalated_due_at=due_at
        )
    ]
    if not claimed:
        return 0
    recipients = lead_managers_addresses()
    if not recipients:
        logger.warning(
            "%s leads overdue but nobody to tell: no lead manager has an email", len(claimed)
        )
        return 0
    leads = list(Lead.objects.filter(pk__in=claimed).order_by("due_at", "pk"))
    try:
        get_connection().send_messages([build_escalation(leads, recipients, now)])
    except Exception as exc:  # released for the next sweep, never raised into the worker
        Lead.objects.filter(pk__in=claimed, escalated_due_at=F("due_at")).update(
            escalated_due_at=None
        )
        logger.warning("Escalation notice failed (%s); will try again", type(exc).__name__)
        return 0
    logger.info("Escalated %s overdue leads to the lead managers", len(claimed))
    return len(claimed)


@task()
def escalate_overdue_leads():
    """The escalation sweep as a background job; it books its own next run."""
    sent = escalate_overdue()
    stalled.prune_finished(escalate_overdue_leads, datetime.timedelta(days=1))
    book_escalation(
        run_after=timezone.now() + datetime.timedelta(seconds=conf.LEADS_ESCALATION_SWEEP_SECONDS)
    )
    return sent


def book_escalation(run_after=None):
    """Books the escalation sweep unless one is already waiting."""
    return book_once(escalate_overdue_leads, run_after)
