"""Turning a valid call-back request into a stored lead, in two steps.

`receive` turns the validated form, its signed token and the request into a `Submission`:
everything the lead will hold, in JSON types, worked out now and touching no database, so the
request can wait outside the database when that is unreachable (leads/spool.py). `store`
saves a submission as a lead: limits that need the database (leads/limits.py) -> duplicate
check -> save the lead and enqueue its notification together (none while it is held for
review) -> tell the caller what happened. The web
request and the spool's replay both store through it. Nothing here sends mail.
"""

import dataclasses
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Case, Q, When
from django.utils import timezone
from wagtail.models import Page

from leads import conf, limits
from leads.forms import UTM_FIELDS
from leads.models import CallBackForm, Lead, NotificationStatus, ReviewReason
from leads.security import duplicate_key
from leads.tasks import schedule_notification

logger = logging.getLogger(__name__)


@dataclass
class CaptureResult:
    lead: Lead
    created: bool


@dataclass(frozen=True)
class Submission:
    """One valid call-back request as it was received, ready to be stored as a lead.

    Plain JSON types only (`to_json` / `from_json`), so it can be written down while the
    database is unreachable and stored later exactly as it would have been at once. The
    submission key identifies the request for good: storing it twice yields one lead.
    """

    key: str
    received_at: str  # ISO 8601, UTC
    full_name: str
    phone: str
    email: str
    callback_time: str
    page_id: int | None
    form_id: int | None
    notice_version: str
    page_title: str
    page_url: str
    referrer: str
    user_agent: str
    ip_hmac: str
    spam_reasons: list
    tracking: dict

    @property
    def received(self):
        return datetime.fromisoformat(self.received_at)

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text):
        data = json.loads(text)
        names = {field.name for field in dataclasses.fields(cls)}
        return cls(**{name: data[name] for name in names})


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


def receive(form, token, request, *, ip_digest):
    """The request as a Submission: what the reader sent and where from, without the database.

    Signals that depend on the moment (the honeypot, the token's age) are decided here, so a
    request stored later is judged as it was when it arrived.
    """
    data = form.cleaned_data
    key = data.get("submission_key") or uuid.uuid4()
    return Submission(
        key=str(key),
        received_at=timezone.now().astimezone(UTC).isoformat(),
        full_name=data["full_name"],
        phone=data["phone"],
        email=data["email"],
        callback_time=data["callback_time"],
        page_id=token.page_id,
        form_id=token.form_id,
        notice_version=token.notice_version,
        page_title=token.page_title,
        page_url=token.page_url,
        referrer=(data.get("referrer") or request.META.get("HTTP_REFERER", ""))[:500],
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:255],
        ip_hmac=ip_digest,
        spam_reasons=spam_reasons(form, token),
        tracking=tracking_values(form, request),
    )


def find_duplicate(email, phone, submission_key, *, genuine, now=None):
    """The lead this submission repeats: the same submission key, or the same person lately.

    "Lately" is the duplicate window before `now` (the time the request was received, so a
    request stored late from the spool is judged as it would have been at once). A genuine
    request is never folded into one flagged as spam, so a person whose first attempt looked
    suspicious still reaches the claims team when they try again. One query: a lead with the
    key comes first, then the latest of the person's recent ones (indexed by phone and time;
    the email is compared ignoring case).
    """
    window = conf.LEADS_DUPLICATE_WINDOW_SECONDS
    since = (now or timezone.now()) - timedelta(seconds=window)
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


def repeated_honeypot(ip_digest, received):
    """The honeypot hit this address made lately, which a new one is folded into: a bot
    filling in every field makes one row per duplicate window, not one per request."""
    if not ip_digest:
        return None
    since = received - timedelta(seconds=conf.LEADS_DUPLICATE_WINDOW_SECONDS)
    return (
        Lead.objects.filter(
            ip_hmac=ip_digest,
            created_at__range=(since, received),
            is_spam=True,
            spam_reasons__contains="honeypot",
        )
        .order_by("-created_at")
        .first()
    )


def store(submission, *, refuse_flood=False):
    """Stores the submission as a lead (or finds the one it repeats) with its notification.

    A lead past the address's everyday limit is stored held for review, without a notice
    until a person clears it. With `refuse_flood` (the web request, when the shared cache
    could not count it) the database's count of the flood limits applies: raises
    leads.limits.Flooded and stores nothing. Raises the database's error when the database
    cannot be reached; nothing is stored then.
    """
    received = submission.received
    email, phone = submission.email, submission.phone
    key = uuid.UUID(submission.key)
    if refuse_flood:
        flood = limits.database_flood(submission.ip_hmac, received)
        if flood.retry_after:
            raise limits.Flooded(flood.retry_after)
    reasons = list(submission.spam_reasons)
    genuine = not reasons
    if "honeypot" in reasons:
        earlier = repeated_honeypot(submission.ip_hmac, received)
        if earlier is not None:
            return CaptureResult(earlier, created=False)
    review = []
    if genuine and limits.over_review_limit(submission.ip_hmac, received):
        review.append(ReviewReason.BUSY_ADDRESS)

    duplicate = find_duplicate(email, phone, key, genuine=genuine, now=received)
    if duplicate is not None:
        logger.info("Duplicate call-back request folded into lead %s", duplicate.pk)
        return CaptureResult(duplicate, created=False)

    # Two genuine requests racing past the check above (a double click without script): the
    # first to claim this person stores the lead, the second waits for it and joins it. With
    # the shared cache unreachable every claim is granted; the unique submission key and the
    # check above still fold repeats.
    claim = duplicate_key(email, phone) if genuine else None
    if claim and not _claim(claim):
        existing = _wait_for_claimant(claim, email, phone, key, received)
        if existing is not None:
            return CaptureResult(existing, created=False)

    page = Page.objects.filter(pk=submission.page_id).first() if submission.page_id else None
    snippet = (
        CallBackForm.objects.filter(pk=submission.form_id).first() if submission.form_id else None
    )
    lead = Lead(
        full_name=submission.full_name,
        phone=phone,
        email=email,
        callback_time=submission.callback_time,
        privacy_acknowledged_at=received,
        privacy_notice_version=submission.notice_version,
        form=snippet,
        source_page=page,
        source_page_title=(page.title if page else submission.page_title)[:255],
        source_page_url=((page.url or "") if page else submission.page_url)[:500],
        referrer=submission.referrer[:500],
        user_agent=submission.user_agent[:255],
        ip_hmac=submission.ip_hmac,
        submission_key=key,
        created_at=received,
        is_spam=bool(reasons),
        spam_reasons=",".join(reasons),
        needs_review=bool(review),
        review_reasons=",".join(review),
        notification_status=(
            NotificationStatus.SKIPPED
            if reasons
            else NotificationStatus.HELD
            if review
            else NotificationStatus.PENDING
        ),
        **{name: submission.tracking.get(name, "") for name in UTM_FIELDS},
    )
    try:
        with transaction.atomic():
            lead.save()
            if lead.notification_status == NotificationStatus.PENDING:
                # Same transaction: with the database task backend the job row commits or
                # rolls back with the lead, so there is never a lead without its notice
                # nor a notice without its lead.
                task_id = schedule_notification(lead.pk)
                Lead.objects.filter(pk=lead.pk).update(notification_task_id=str(task_id)[:64])
    except IntegrityError:
        # Another request (or another drain of the spool) with the same key won the race.
        _release(claim)
        existing = find_duplicate(email, phone, key, genuine=genuine, now=received)
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
        submission.page_id,
        f" flagged as spam ({lead.spam_reasons})"
        if lead.is_spam
        else f" held for review ({lead.review_reasons})"
        if lead.needs_review
        else "",
    )
    return CaptureResult(lead, created=True)


# How often a repeat asks whether the request holding the claim has stored its lead.
_CLAIM_POLL_SECONDS = 0.05


def _claim(claim):
    return cache.add(claim, 1, timeout=conf.LEADS_DUPLICATE_WINDOW_SECONDS)


def _wait_for_claimant(claim, email, phone, submission_key, received):
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
        existing = find_duplicate(email, phone, submission_key, genuine=True, now=received)
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
