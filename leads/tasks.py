"""Background jobs of the leads app: telling the claims team about a new lead, and the
daily retention purge.

The email names the lead by its number and links to it in the admin; the person's name,
phone and email stay in the database, not in mailboxes.
"""

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_tasks import task

from leads import conf
from leads.models import Lead, NotificationStatus
from leads.retention import purge

logger = logging.getLogger(__name__)


def max_attempts():
    return conf.LEADS_NOTIFY_MAX_ATTEMPTS


def retry_delay(attempt):
    """Backoff after the given failed attempt: 1, 2, 4, 8... minutes, capped at an hour."""
    base = conf.LEADS_NOTIFY_RETRY_BASE_SECONDS
    return datetime.timedelta(seconds=min(base * 2 ** (attempt - 1), 3600))


def lead_admin_url(lead):
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    try:
        path = reverse("leads_lead_modeladmin_inspect", args=[lead.pk])
    except NoReverseMatch:
        path = reverse("wagtailadmin_home")
    return base + path


def recipients_for(lead):
    if lead.form is not None and lead.form.notify_recipients:
        return lead.form.notify_recipients
    return list(conf.LEADS_NOTIFY_TO)


def build_message(lead, recipients):
    base = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    page_url = lead.source_page_url
    if page_url.startswith("/"):
        page_url = base + page_url
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
    lines += [
        "",
        "The reader's details are in the leads desk only; please do not forward this email.",
    ]
    return EmailMessage(
        subject=f"New call-back request #{lead.pk}",
        body="\n".join(lines),
        to=recipients,
    )


@task()
def send_lead_notification(lead_id):
    """Emails the claims team about one lead; on failure records why and tries again later."""
    lead = Lead.objects.select_related("form").filter(pk=lead_id).first()
    if lead is None:
        return "lead gone"
    if lead.is_spam:
        Lead.objects.filter(pk=lead.pk).update(notification_status=NotificationStatus.SKIPPED)
        return "spam"
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
    try:
        build_message(lead, recipients).send()
    except Exception as exc:  # any mail failure is recorded on the lead, never raised
        return _record_failure(lead, attempt, exc)

    Lead.objects.filter(pk=lead.pk).update(
        notification_status=NotificationStatus.SENT,
        notification_attempts=attempt,
        notification_last_attempt_at=now,
        notification_sent_at=timezone.now(),
        notification_next_attempt_at=None,
    )
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


@task()
def purge_expired_leads():
    """The retention purge as a background job; it books its own next run a day later."""
    removed = purge()
    logger.info("Retention purge removed %s leads", removed)
    backend = purge_expired_leads.get_backend()
    if backend.supports_defer and conf.LEADS_PURGE_RESCHEDULE:
        purge_expired_leads.using(run_after=timezone.now() + datetime.timedelta(days=1)).enqueue()
    return removed
