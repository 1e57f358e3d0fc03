"""Recording a call to a reader: the attempt, its note, and what its outcome does to the lead.

- no answer, voicemail: due again LEADS_RETRY_AFTER_MINUTES later, in the reader's slot;
  LEADS_UNREACHABLE_AFTER_ATTEMPTS such calls in a row (since the last conversation) close
  the lead as unreachable;
- call back later: contacted, due at the time the reader chose;
- spoke, qualified / not eligible: contacted, then qualified / not qualified;
- wrong number: unreachable.

Every status change goes through `casework.change_status` (which the hand-off to the claims
system listens to), and every attempt is written to the lead's history by its outcome only:
the note may hold personal details and stays in the database, erased with the lead.
"""

from django.db import transaction
from django.utils import timezone
from wagtail.log_actions import log

from leads import conf, hours
from leads.casework import change_status
from leads.models import CallAttempt, CallOutcome, Lead, LeadStatus

MISSED = (CallOutcome.NO_ANSWER, CallOutcome.VOICEMAIL)
CONVERSATIONS = (CallOutcome.CALL_BACK, CallOutcome.QUALIFIED, CallOutcome.NOT_ELIGIBLE)
# Where each outcome leaves the lead (missed calls leave it as it was, until too many).
OUTCOME_STATUS = {
    CallOutcome.CALL_BACK: LeadStatus.CONTACTED,
    CallOutcome.QUALIFIED: LeadStatus.QUALIFIED,
    CallOutcome.NOT_ELIGIBLE: LeadStatus.NOT_QUALIFIED,
    CallOutcome.WRONG_NUMBER: LeadStatus.UNREACHABLE,
}


def _move(lead, target, user):
    """Moves the lead to `target` through contacted where the workflow asks for it."""
    if lead.status == target:
        return
    if target in (LeadStatus.QUALIFIED, LeadStatus.NOT_QUALIFIED):
        change_status(lead, LeadStatus.CONTACTED, user)
    change_status(lead, target, user)


def missed_in_a_row(lead):
    """Missed calls since the last conversation with the reader (or since the first call)."""
    attempts = list(lead.attempts.order_by("-created_at", "-pk").values_list("outcome", flat=True))
    count = 0
    for outcome in attempts:
        if outcome not in MISSED:
            break
        count += 1
    return count


@transaction.atomic
def record_attempt(lead, outcome, user, note="", callback_at=None, now=None):
    """Stores one call and applies its outcome; raises casework.TransitionError (and stores
    nothing) when the lead cannot move as the outcome asks."""
    now = now or timezone.now()
    outcome = CallOutcome(outcome)
    # One attempt at a time per lead: two people recording at once count both calls.
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    attempt = CallAttempt.objects.create(
        lead=lead,
        user=user,
        outcome=outcome,
        note=note.strip(),
        callback_at=callback_at if outcome == CallOutcome.CALL_BACK else None,
        created_at=now,
    )
    log(lead, "leads.attempt", user=user, data={"outcome": outcome.value, "attempt": attempt.pk})

    lead.first_attempt_at = lead.first_attempt_at or now
    lead.last_attempt_at = now
    if outcome in CONVERSATIONS:
        lead.first_conversation_at = lead.first_conversation_at or now
    if outcome in MISSED:
        if missed_in_a_row(lead) >= conf.LEADS_UNREACHABLE_AFTER_ATTEMPTS:
            _move(lead, LeadStatus.UNREACHABLE, user)
        else:
            lead.due_at = hours.retry_due(now, lead.callback_time)
    else:
        _move(lead, OUTCOME_STATUS[outcome], user)
        if outcome == CallOutcome.CALL_BACK:
            lead.due_at = callback_at
    lead.save(
        update_fields=["first_attempt_at", "last_attempt_at", "first_conversation_at", "due_at"]
    )
    return attempt
