"""The hand-off of a qualified lead to the claims system, as a signed webhook
(docs/handoff.md): which receivers get it, what is sent, and the background job that sends
it with retries.

A hand-off is one lead for one receiver, with a webhook-id that never changes: every retry
and every replay from the desk sends the same id, so a receiver that keeps the ids it has
processed takes each lead once, even when a worker died after the receiver answered and the
job ran again. Two workers never send one hand-off at the same time: each takes it with a
conditional update (a claim with a token and an expiry) and only the holder records the end.
"""

import datetime
import functools
import json
import logging
import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult
from wagtail.log_actions import log

from leads import conf, stalled, webhooks
from leads.links import lead_admin_url, source_page_url
from leads.models import Handoff, HandoffDelivery, HandoffStatus, WebhookEndpoint

logger = logging.getLogger(__name__)

EVENT_TYPE = "lead.handed_off"
# 4xx answers that mean "not now" rather than "never": retried like a 5xx.
RETRYABLE_CLIENT_ERRORS = {408, 429}
# A replay may start again once the last try has ended.
REPLAYABLE = [HandoffStatus.DELIVERED, HandoffStatus.GAVE_UP, HandoffStatus.RETRYING]


def receivers():
    """Where a lead qualified now goes: None for the claims system named by
    LEADS_WEBHOOK_URL (when set), then each active endpoint added in the admin."""
    found = [None] if conf.LEADS_WEBHOOK_URL else []
    return found + list(WebhookEndpoint.objects.filter(is_active=True))


def destination(handoff):
    """(url, secret) the hand-off goes to now, or None when its receiver is gone."""
    if handoff.endpoint_id is None:
        if conf.LEADS_WEBHOOK_URL:
            return conf.LEADS_WEBHOOK_URL, conf.LEADS_WEBHOOK_SECRET
        return None
    if handoff.endpoint.is_active:
        return handoff.endpoint.url, handoff.endpoint.secret
    return None


def new_webhook_id():
    return f"msg_{uuid.uuid4().hex}"


def missing_receivers(lead):
    """The receivers the lead has not been handed to yet."""
    have = set(Handoff.objects.filter(lead=lead).values_list("endpoint_id", flat=True))
    return [r for r in receivers() if (r.pk if r else None) not in have]


def hand_off(lead, user, trigger):
    """Creates the lead's hand-off for each receiver that has none yet and sends each once
    the surrounding transaction commits. Returns the new hand-offs (none for spam)."""
    if lead.is_spam:
        return []
    created = []
    for endpoint in missing_receivers(lead):
        try:
            with transaction.atomic():
                handoff = Handoff.objects.create(
                    lead=lead,
                    endpoint=endpoint,
                    webhook_id=new_webhook_id(),
                    trigger=trigger,
                    requested_by=user,
                    next_attempt_at=timezone.now(),
                )
        except IntegrityError:
            continue  # another request handed it off at the same moment
        log(
            lead,
            "leads.handoff",
            user=user,
            data={"handoff": handoff.webhook_id, "receiver": handoff.receiver_name},
        )
        created.append(handoff)
        _send_after_commit(handoff.pk)
    return created


def replay(handoff, user):
    """Sends the hand-off again, with the same webhook-id, once the last try has ended.
    Returns False while it is waiting or being sent."""
    with transaction.atomic():
        won = Handoff.objects.filter(pk=handoff.pk, status__in=REPLAYABLE).update(
            status=HandoffStatus.PENDING, failures=0, next_attempt_at=timezone.now()
        )
        if not won:
            return False
        log(
            handoff.lead,
            "leads.handoff_replay",
            user=user,
            data={"handoff": handoff.webhook_id, "receiver": handoff.receiver_name},
        )
        _send_after_commit(handoff.pk)
    return True


def _send_after_commit(handoff_id):
    # Robust: the status change stands even if the queue cannot be written; the sweep
    # (recover_stalled) finds a hand-off that is due with no job and queues it.
    transaction.on_commit(functools.partial(schedule_delivery, handoff_id), robust=True)


def schedule_delivery(handoff_id, run_after=None):
    """Enqueues the delivery; deferred where the backend can defer, else straight away."""
    job = deliver_handoff
    if run_after is not None and job.get_backend().supports_defer:
        job = job.using(run_after=run_after)
    return job.enqueue(handoff_id).id


# What is sent.


def _when(moment):
    return moment.astimezone(datetime.UTC).isoformat(timespec="seconds") if moment else None


def attempt_entry(attempt):
    """One call attempt from the call queue, as the receiver reads it."""
    return {
        "at": _when(attempt.created_at),
        "outcome": attempt.outcome,
        "outcome_label": attempt.get_outcome_display(),
        "note": attempt.note,
    }


def attempt_history(lead):
    """The lead's call attempts, oldest first."""
    return [attempt_entry(attempt) for attempt in lead.attempts.order_by("created_at", "pk")]


def payload(lead, handoff, now=None):
    """The body of the webhook: the Standard Webhooks envelope (type, timestamp, data)
    around the hand-off's identity and the lead as it stands now."""
    notes = lead.notes.select_related("author").order_by("created_at", "pk")
    return {
        "type": EVENT_TYPE,
        "timestamp": _when(now or timezone.now()),
        "data": {
            "handoff": {
                "id": handoff.webhook_id,
                "trigger": handoff.trigger,
                "created_at": _when(handoff.created_at),
            },
            "lead": {
                "id": lead.pk,
                "desk_url": lead_admin_url(lead),
                "received_at": _when(lead.created_at),
                "status": lead.status,
                "answers": {
                    "full_name": lead.full_name,
                    "phone": lead.phone,
                    "email": lead.email,
                    "callback_time": lead.callback_time,
                    "callback_time_label": lead.get_callback_time_display(),
                    "privacy_acknowledged_at": _when(lead.privacy_acknowledged_at),
                    "privacy_notice_version": lead.privacy_notice_version,
                },
                "source": {
                    "page_title": lead.source_page_title,
                    "page_url": source_page_url(lead),
                    "form": lead.form.name if lead.form else "",
                    "referrer": lead.referrer,
                },
                "utm": {
                    "source": lead.utm_source,
                    "medium": lead.utm_medium,
                    "campaign": lead.utm_campaign,
                    "term": lead.utm_term,
                    "content": lead.utm_content,
                    "gclid": lead.gclid,
                },
                "notes": [
                    {
                        "at": _when(note.created_at),
                        "by": note.author.get_username() if note.author else "",
                        "text": note.text,
                    }
                    for note in notes
                ],
                "attempts": attempt_history(lead),
            },
        },
    }


def body_of(lead, handoff, now=None):
    """The payload as the exact bytes that are signed and sent."""
    return json.dumps(
        payload(lead, handoff, now), ensure_ascii=False, separators=(",", ":")
    ).encode()


# Sending.


def retry_delay(failures):
    """After the given number of failures in a row: the base, doubling, capped."""
    base = conf.LEADS_WEBHOOK_RETRY_BASE_SECONDS
    return datetime.timedelta(
        seconds=min(base * 2 ** (failures - 1), conf.LEADS_WEBHOOK_RETRY_MAX_SECONDS)
    )


@task()
def deliver_handoff(handoff_id):
    """Sends one hand-off once, recording the try; on a network error, a 5xx, 408 or 429
    books the next try with backoff; any other answer ends it."""
    return deliver(handoff_id)


def _claimable(now):
    return (
        Q(status=HandoffStatus.PENDING)
        | Q(status=HandoffStatus.RETRYING, next_attempt_at__lte=now)
        # Its worker stopped mid-send: the claim ran out.
        | Q(status=HandoffStatus.SENDING, claimed_until__lt=now)
    )


def claim(handoff_id):
    """Takes the hand-off for this worker: (handoff, delivery, token), or None when it is
    delivered, given up, not due, gone, or held by another worker."""
    now = timezone.now()
    token = uuid.uuid4()
    with transaction.atomic():
        won = Handoff.objects.filter(_claimable(now), pk=handoff_id).update(
            status=HandoffStatus.SENDING,
            claim_token=token,
            claimed_until=now + datetime.timedelta(seconds=conf.LEADS_WEBHOOK_CLAIM_SECONDS),
            attempts=F("attempts") + 1,
        )
        if not won:
            return None
        handoff = Handoff.objects.select_related("endpoint", "lead__form").get(pk=handoff_id)
        # A try still marked as sending belonged to a worker that stopped: whether the
        # receiver got it is unknown, which the same webhook-id makes harmless.
        handoff.deliveries.filter(outcome=HandoffDelivery.Outcome.SENDING).update(
            outcome=HandoffDelivery.Outcome.INTERRUPTED
        )
        delivery = HandoffDelivery.objects.create(
            handoff=handoff, number=handoff.attempts, started_at=now
        )
    return handoff, delivery, token


def deliver(handoff_id):
    claimed = claim(handoff_id)
    if claimed is None:
        return _not_claimed(handoff_id)
    handoff, delivery, token = claimed
    target = destination(handoff)
    if target is None:
        return record_failure(handoff, delivery, token, None, "No receiver: the address is unset.")
    url, secret = target
    try:
        body = body_of(handoff.lead, handoff)
        headers = webhooks.signed_headers(secret, handoff.webhook_id, body)
        status = webhooks.post(url, body, headers, conf.LEADS_WEBHOOK_TIMEOUT_SECONDS)
    except ValidationError as error:
        return record_failure(
            handoff, delivery, token, None, f"Address refused: {error.messages[0]}"
        )
    except ValueError as error:  # the secret
        return record_failure(handoff, delivery, token, None, f"Secret unusable: {error}")
    except OSError as error:
        # The class and message: they name our receiver's address, never the lead.
        return record_failure(
            handoff, delivery, token, None, f"{type(error).__name__}: {error}", True
        )
    if 200 <= status < 300:
        return _delivered(handoff, delivery, status)
    retryable = status >= 500 or status in RETRYABLE_CLIENT_ERRORS
    return record_failure(handoff, delivery, token, status, f"HTTP {status}", retryable)


def _not_claimed(handoff_id):
    handoff = Handoff.objects.filter(pk=handoff_id).first()
    if handoff is None:
        return "gone"
    if handoff.status == HandoffStatus.SENDING and handoff.claimed_until:
        # Another worker holds it; if that worker dies, this job comes back when its
        # claim runs out and takes over.
        if deliver_handoff.get_backend().supports_defer:
            schedule_delivery(handoff.pk, run_after=handoff.claimed_until)
        return "held by another worker"
    return handoff.status


def _delivered(handoff, delivery, status):
    now = timezone.now()
    with transaction.atomic():
        # Whoever holds the claim, a 2xx is final: a worker that took over later and is
        # still sending cannot turn it back (its end needs its token, cleared here).
        Handoff.objects.filter(pk=handoff.pk).exclude(status=HandoffStatus.DELIVERED).update(
            status=HandoffStatus.DELIVERED,
            delivered_at=now,
            last_status_code=status,
            last_error="",
            failures=0,
            next_attempt_at=None,
            claim_token=None,
            claimed_until=None,
        )
        HandoffDelivery.objects.filter(pk=delivery.pk).update(
            outcome=HandoffDelivery.Outcome.DELIVERED, finished_at=now, status_code=status
        )
        log(
            handoff.lead,
            "leads.handoff_delivered",
            data={"handoff": handoff.webhook_id, "receiver": handoff.receiver_name},
        )
    logger.info("Hand-off %s of lead %s delivered (%s)", handoff.pk, handoff.lead_id, status)
    return "delivered"


def record_failure(handoff, delivery, token, status, error, retryable=False):
    """Records a failed try: another one later, or the end."""
    now = timezone.now()
    error = error[:200]
    failures = handoff.failures + 1
    give_up = not retryable or failures >= conf.LEADS_WEBHOOK_MAX_ATTEMPTS
    next_at = None if give_up else now + retry_delay(failures)
    if next_at and not deliver_handoff.get_backend().supports_defer:
        next_at = now  # a backend that cannot defer runs the retry straight away
    with transaction.atomic():
        held = Handoff.objects.filter(pk=handoff.pk, claim_token=token).update(
            status=HandoffStatus.GAVE_UP if give_up else HandoffStatus.RETRYING,
            failures=failures,
            last_status_code=status,
            last_error=error,
            next_attempt_at=next_at,
            claim_token=None,
            claimed_until=None,
        )
        HandoffDelivery.objects.filter(pk=delivery.pk).update(
            outcome=HandoffDelivery.Outcome.GAVE_UP if give_up else HandoffDelivery.Outcome.RETRY,
            finished_at=now,
            status_code=status,
            error=error,
        )
        if held and give_up:
            log(
                handoff.lead,
                "leads.handoff_gave_up",
                data={"handoff": handoff.webhook_id, "receiver": handoff.receiver_name},
            )
        elif held:
            schedule_delivery(handoff.pk, run_after=next_at)
    if not held:
        logger.warning("Hand-off %s: another worker took it over during this try", handoff.pk)
        return "taken over"
    if give_up:
        logger.error(
            "Hand-off %s of lead %s gave up after try %s: %s",
            handoff.pk,
            handoff.lead_id,
            delivery.number,
            error,
        )
        return "gave up"
    logger.warning(
        "Hand-off %s of lead %s: try %s failed (%s), next at %s",
        handoff.pk,
        handoff.lead_id,
        delivery.number,
        error,
        next_at.isoformat(timespec="seconds"),
    )
    return "retrying"


# Hand-offs whose job was lost.


def _requeue(handoff_id):
    waiting = Handoff.objects.filter(pk=handoff_id).exclude(
        status__in=[HandoffStatus.DELIVERED, HandoffStatus.GAVE_UP]
    )
    if waiting.exists():
        schedule_delivery(handoff_id)


def recover_stalled(older_than_seconds):
    """Runs again the deliveries whose worker died mid-job, and queues each hand-off that
    has been due for longer than the limit with no job waiting (its job was never written,
    or was lost). Returns how many were queued."""
    queued = stalled.release_stalled(deliver_handoff, older_than_seconds, _requeue)
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    overdue = Handoff.objects.filter(
        Q(status__in=[HandoffStatus.PENDING, HandoffStatus.RETRYING], next_attempt_at__lt=cutoff)
        | Q(status=HandoffStatus.SENDING, claimed_until__lt=cutoff)
    ).values_list("pk", flat=True)
    if not overdue:
        return queued
    jobs = DBTaskResult.objects.filter(
        task_path=deliver_handoff.module_path, status__in=[stalled.READY, stalled.RUNNING]
    ).values_list("args_kwargs", flat=True)
    has_job = {job["args"][0] for job in jobs if job.get("args")}
    for handoff_id in overdue:
        if handoff_id not in has_job:
            schedule_delivery(handoff_id)
            queued += 1
    return queued


def lead_handoffs(lead):
    """The lead's hand-offs with their tries, for the desk."""
    return (
        Handoff.objects.filter(lead=lead)
        .select_related("endpoint", "requested_by")
        .prefetch_related("deliveries")
    )
