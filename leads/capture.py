"""Turning a valid submission into a stored lead: spam signals, duplicates, one transaction.

Named steps, in order: spam signals -> duplicate check -> save lead and enqueue its
notification together -> tell the caller what happened. Nothing here sends mail.
"""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Case, Q, When
from django.utils import timezone
from wagtail.models import Page

from leads import conf
from leads.forms import UTM_FIELDS
from leads.models import CallBackForm, Lead, NotificationStatus
from leads.security import duplicate_key
from leads.tasks import schedule_notification

logger = logging.getLogger(__name__)


@dataclass
class CaptureResult:
    lead: Lead
    created: bool


def spam_reasons(form, token):
    reasons = []
    if form.cleaned_data.get("website"):
        reasons.append("honeypot")
    min_seconds = conf.LEADS_MIN_FILL_SECONDS
    if min_seconds and token.age < min_seconds:
        reasons.append("too_fast")
    return reasons


def tracking_values(form, request):
    """UTM values and gclid as sent with the form, else from the page URL the form was on.

    The page may come from a shared cache, so its script copies them from the address bar
    into hidden fields; without script the browser's Referer still carries the query string.
    """
    values = {name: form.cleaned_data.get(name, "") for name in UTM_FIELDS}
    if not any(values.values()):
        referer = request.META.get("HTTP_REFERER", "")
        if urlsplit(referer).netloc == request.get_host():
            query = parse_qs(urlsplit(referer).query)
            field = form.fields["utm_source"]
            for name in UTM_FIELDS:
                if query.get(name):
                    values[name] = field.to_python(query[name][0])
    return values


def find_duplicate(email, phone, submission_key, *, genuine):
    """The lead this submission repeats: the same submission key, or the same person lately.

    A genuine request is never folded into one flagged as spam, so a person whose first
    attempt looked suspicious still reaches the claims team when they try again. One query:
    a lead with the key comes first, then the latest of the person's recent ones (indexed by
    phone and time; the email is compared ignoring case).
    """
    window = conf.LEADS_DUPLICATE_WINDOW_SECONDS
    since = timezone.now() - timedelta(seconds=window)
    same_person = Q(phone=phone, email__iexact=email, created_at__gte=since)
    if genuine:
        same_person &= Q(is_spam=False)
    if submission_key is None:
        return Lead.objects.filter(same_person).order_by("-created_at").first()
    return (
        Lead.objects.filter(Q(submission_key=submission_key) | same_person)
        .annotate(same_key=Case(When(submission_key=submission_key, then=0), default=1))
        .order_by("same_key", "-created_at")
        .first()
    )


def capture_lead(form, token, request, *, ip_digest, user_agent):
    """Stores the lead (or finds the one this duplicates) and enqueues its notification."""
    data = form.cleaned_data
    email, phone = data["email"], data["phone"]
    submission_key = data.get("submission_key")
    reasons = spam_reasons(form, token)
    genuine = not reasons

    duplicate = find_duplicate(email, phone, submission_key, genuine=genuine)
    if duplicate is not None:
        logger.info("Duplicate call-back request folded into lead %s", duplicate.pk)
        return CaptureResult(duplicate, created=False)

    # Two genuine requests racing past the check above (a double click without script): the
    # first to claim this person stores the lead, the second waits for it and joins it.
    claim = duplicate_key(email, phone) if genuine else None
    if claim and not _claim(claim):
        existing = _wait_for_claimant(claim, email, phone, submission_key)
        if existing is not None:
            return CaptureResult(existing, created=False)

    page = Page.objects.filter(pk=token.page_id).first() if token.page_id else None
    snippet = CallBackForm.objects.filter(pk=token.form_id).first() if token.form_id else None
    now = timezone.now()
    lead = Lead(
        full_name=data["full_name"],
        phone=phone,
        email=email,
        callback_time=data["callback_time"],
        privacy_acknowledged_at=now,
        privacy_notice_version=token.notice_version,
        form=snippet,
        source_page=page,
        source_page_title=(page.title if page else token.page_title)[:255],
        source_page_url=((page.url or "") if page else token.page_url)[:500],
        referrer=data.get("referrer") or request.META.get("HTTP_REFERER", "")[:500],
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:255],
        ip_hmac=ip_digest,
        submission_key=submission_key,
        created_at=now,
        is_spam=bool(reasons),
        spam_reasons=",".join(reasons),
        notification_status=(NotificationStatus.SKIPPED if reasons else NotificationStatus.PENDING),
        **tracking_values(form, request),
    )
    try:
        with transaction.atomic():
            lead.save()
            if not lead.is_spam:
                # Same transaction: with the database task backend the job row commits or
                # rolls back with the lead, so there is never a lead without its notice
                # nor a notice without its lead.
                task_id = schedule_notification(lead.pk)
                Lead.objects.filter(pk=lead.pk).update(notification_task_id=str(task_id)[:64])
    except IntegrityError:
        # Another request with the same submission key won the race.
        _release(claim)
        existing = find_duplicate(email, phone, submission_key, genuine=genuine)
        if existing is None:
            raise
        return CaptureResult(existing, created=False)
    except BaseException:
        # Let a retry through: this request stored nothing.
        _release(claim)
        raise
    logger.info(
        "Stored lead %s from page %s%s",
        lead.pk,
        token.page_id,
        f" flagged as spam ({lead.spam_reasons})" if lead.is_spam else "",
    )
    return CaptureResult(lead, created=True)


# How often a repeat asks whether the request holding the claim has stored its lead.
_CLAIM_POLL_SECONDS = 0.05


def _claim(claim):
    return cache.add(claim, 1, timeout=conf.LEADS_DUPLICATE_WINDOW_SECONDS)


def _wait_for_claimant(claim, email, phone, submission_key):
    """The lead stored by the request holding this person's claim, once it has committed.

    None means this request must store the lead itself: the claimant failed and let go of the
    claim (this request has now taken it), or it has not committed within
    LEADS_CLAIM_WAIT_SECONDS (its process died holding the claim, which would otherwise
    stand for the whole duplicate window). The browser shows only the last response of a
    double click, so telling this request "sent" without a stored lead would lose the lead;
    at worst two rows for one person are stored, which the desk shows side by side.
    """
    deadline = time.monotonic() + conf.LEADS_CLAIM_WAIT_SECONDS
    while True:
        existing = find_duplicate(email, phone, submission_key, genuine=True)
        if existing is not None:
            return existing
        if _claim(claim):
            return None
        if time.monotonic() >= deadline:
            logger.warning("A call-back claim outlived its request; storing this lead anyway")
            return None
        time.sleep(_CLAIM_POLL_SECONDS)


def _release(claim):
    if claim:
        cache.delete(claim)
