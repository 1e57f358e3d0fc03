import hashlib

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, PageChooserPanel
from wagtail.models import RevisionMixin
from wagtail.search import index

from leads.hours import next_due
from leads.phones import dialled
from leads.webhooks import check_secret, check_url


class CallBackForm(RevisionMixin, index.Indexed, models.Model):
    """The call-back box editors place on pages: its wording, and where its leads are announced.

    Pages know it only through a foreign key; the site-wide default lives in the site settings.
    """

    name = models.CharField(
        max_length=100,
        unique=True,
        help_text="For editors only: how this form is named in choosers, e.g. 'Default call back'.",
    )
    heading = models.CharField(
        max_length=120,
        default="Request a call back from our team",
        help_text="The box's heading, shown above the form.",
    )
    intro = models.CharField(
        max_length=255,
        blank=True,
        default="Complete our quick form below and we'll contact you when you're ready to talk.",
        help_text="One sentence under the heading saying what happens next.",
    )
    required_note = models.CharField(
        max_length=80,
        default="All fields are required.",
        help_text="Tells readers before they start that every field must be filled in.",
    )
    submit_label = models.CharField(
        max_length=40,
        default="Request a call back",
        help_text="The text on the submit button: say what happens when it is pressed.",
    )
    success_message = models.CharField(
        max_length=255,
        default="Thank you. Our team will call you back at the time you chose.",
        help_text="Shown to the reader once their request has been received.",
    )
    privacy_notice = models.CharField(
        max_length=255,
        default="Information on how we handle your data is available in our",
        help_text="Shown at the point of collection; the privacy page link follows it.",
    )
    privacy_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The privacy policy page linked from the notice.",
    )
    privacy_link_text = models.CharField(
        max_length=60,
        default="Privacy Policy",
        help_text="The words of the link to the privacy policy page.",
    )

    notify_to = models.TextField(
        blank=True,
        help_text=(
            "Who is emailed when this form receives a request: one address per line. "
            "Empty: the claims team address set for the whole site (LEADS_NOTIFY_TO)."
        ),
    )

    panels = [
        FieldPanel("name"),
        MultiFieldPanel(
            [
                FieldPanel("heading"),
                FieldPanel("intro"),
                FieldPanel("required_note"),
                FieldPanel("submit_label"),
                FieldPanel("success_message"),
            ],
            heading="Wording",
        ),
        MultiFieldPanel(
            [
                FieldPanel("privacy_notice"),
                PageChooserPanel("privacy_page"),
                FieldPanel("privacy_link_text"),
            ],
            heading="Privacy notice",
        ),
        # Where personal data is sent is a data-protection decision, not an editorial one.
        FieldPanel("notify_to", permission="superuser", heading="Notification recipients"),
    ]

    # Deleting a form deletes its revisions too.
    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="callbackform")

    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        verbose_name = "call-back form"
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        bad = []
        for address in self.notify_recipients:
            try:
                validate_email(address)
            except ValidationError:
                bad.append(address)
        if bad:
            raise ValidationError({"notify_to": f"Not an email address: {', '.join(bad)}"})

    @property
    def notify_recipients(self):
        """The addresses named on this form, in order, without blanks or repeats."""
        seen = []
        for line in self.notify_to.replace(",", "\n").splitlines():
            address = line.strip()
            if address and address not in seen:
                seen.append(address)
        return seen

    @property
    def privacy_notice_version(self):
        """Identifies the privacy notice wording a reader was shown, as stored with their lead.

        The revision id says which saved version it was; the hash proves the wording even if
        revisions are pruned later.
        """
        text = "\x1f".join(
            [self.privacy_notice, self.privacy_link_text, str(self.privacy_page_id or "")]
        )
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        return f"r{self.latest_revision_id or 0}-{digest}"


class CallbackTime(models.TextChoices):
    MORNING = "morning", "Morning (9am to 12pm)"
    AFTERNOON = "afternoon", "Afternoon (12pm to 5pm)"
    EVENING = "evening", "Evening (5pm to 8pm)"
    ANY = "any", "Any time"


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    QUALIFIED = "qualified", "Qualified"
    NOT_QUALIFIED = "not_qualified", "Not qualified"
    UNREACHABLE = "unreachable", "Unreachable"
    CLOSED = "closed", "Closed"


# Leads still to be called: the call queue shows these (when genuine).
OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED)


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    RETRYING = "retrying", "Failed, will retry"
    GAVE_UP = "gave_up", "Failed, gave up"
    SKIPPED = "skipped", "Not sent (suspected spam)"
    HELD = "held", "Held for review"
    NO_RECIPIENTS = "no_recipients", "Not sent (no recipients configured)"


class ReviewReason(models.TextChoices):
    """Why a lead that looks genuine waits for a person before the claims team is told."""

    BUSY_ADDRESS = "busy_address", "Many requests from one address"


class Lead(models.Model):
    """One reader's request for a call back: what they sent, where from, and how it was handled.

    The reader's answers are never edited after capture; staff work the lead through status,
    owner and notes. No raw IP address is stored, only a keyed hash of it.
    """

    # What the reader sent.
    full_name = models.CharField(max_length=150)
    phone = models.CharField(max_length=20, help_text="E.164, e.g. +447123456789.")
    # Worked out once when the lead is saved (and for older rows by migration 0005), so exports
    # of many thousands of leads need not re-parse every number.
    phone_dialled = models.CharField(
        max_length=32, blank=True, help_text="The number as a person dials it, e.g. 01534 440123."
    )
    email = models.EmailField(max_length=254)
    callback_time = models.CharField(max_length=20, choices=CallbackTime.choices)
    privacy_acknowledged_at = models.DateTimeField()
    privacy_notice_version = models.CharField(max_length=64, blank=True)

    # Where it came from.
    form = models.ForeignKey(
        CallBackForm, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    source_page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_page_title = models.CharField(max_length=255, blank=True)
    source_page_url = models.CharField(max_length=500, blank=True)
    referrer = models.CharField(max_length=500, blank=True)
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    gclid = models.CharField(max_length=200, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    ip_hmac = models.CharField(max_length=64, blank=True)
    submission_key = models.UUIDField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    # How it is being handled.
    status = models.CharField(
        max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW, db_index=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The member of staff working this lead.",
    )
    is_spam = models.BooleanField(default=False, db_index=True)
    spam_reasons = models.CharField(max_length=100, blank=True)
    # Held for review: stored and shown at the desk, notified only once a person clears it.
    needs_review = models.BooleanField(default=False, db_index=True)
    review_reasons = models.CharField(
        max_length=100,
        blank=True,
        help_text="Why the lead was held for review (kept after it is cleared).",
    )

    # The call queue (leads/hours.py, leads/calls.py).
    slot_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the reader's chosen time slot first opened after the request.",
    )
    due_at = models.DateTimeField(
        null=True, blank=True, help_text="When the lead is next due to be called."
    )
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    first_conversation_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # The due time the lead managers were last told about (one notice per due time).
    escalated_due_at = models.DateTimeField(null=True, blank=True)

    # Whether the claims team was told.
    notification_status = models.CharField(
        max_length=20, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    notification_attempts = models.PositiveSmallIntegerField(default=0)
    notification_last_error = models.CharField(max_length=300, blank=True)
    notification_last_attempt_at = models.DateTimeField(null=True, blank=True)
    notification_next_attempt_at = models.DateTimeField(null=True, blank=True)
    notification_sent_at = models.DateTimeField(null=True, blank=True)
    notification_task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("export_lead", "Can export leads"),
            ("handoff_lead", "Can send leads to the claims system"),
        ]
        # The duplicate check matches the phone exactly and the email ignoring case: the phone
        # and the time find the few candidate rows (an index on the email as typed could not
        # serve a case-insensitive match, and each POST read the whole table).
        # The client's recent leads are counted on every capture (the rate limit's database
        # side, leads.capture.over_rate_limit).
        indexes = [
            models.Index(fields=["phone", "created_at"], name="leads_lead_phone_recent"),
            models.Index(fields=["ip_hmac", "created_at"], name="leads_lead_client_recent"),
            # The call queue reads only the open, genuine leads, in due order.
            models.Index(
                fields=["due_at"],
                name="leads_lead_queue",
                condition=models.Q(is_spam=False, status__in=["new", "contacted"]),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["submission_key"],
                condition=models.Q(submission_key__isnull=False),
                name="leads_lead_unique_submission_key",
            )
        ]

    # Leads are not "uses" of the page or form they came from: Wagtail's usage reports are for
    # editors, who must not see leads, and indexing each one cost a background job per lead.
    wagtail_reference_index_ignore = True

    def __str__(self):
        # Shown in admin breadcrumbs and logs: an id, never the person's details.
        return f"Lead #{self.pk}"

    def save(self, *args, **kwargs):
        # However a lead is made (the form, a test, a shell), the number's dialled form is
        # stored with it; exports read it from the row rather than parse every number.
        if self.phone and not self.phone_dialled:
            self.phone_dialled = dialled(self.phone)
        # Likewise when the reader's slot opens: the call queue orders leads by it.
        if kwargs.get("update_fields") is None and self.slot_at is None and self.created_at:
            self.slot_at = next_due(self.created_at, self.callback_time)
            if self.due_at is None:
                self.due_at = self.slot_at
        super().save(*args, **kwargs)

    def tracking_items(self):
        names = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid"]
        return [(name, getattr(self, name)) for name in names if getattr(self, name)]

    def review_reason_labels(self):
        return [
            ReviewReason(code).label if code in ReviewReason.values else code
            for code in self.review_reasons.split(",")
            if code
        ]


class LeadNote(models.Model):
    """A dated remark by a member of staff about a lead: calls made, what was agreed."""

    wagtail_reference_index_ignore = True

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    text = models.TextField(max_length=4000)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"Note #{self.pk} on lead #{self.lead_id}"


class CallOutcome(models.TextChoices):
    NO_ANSWER = "no_answer", "No answer"
    VOICEMAIL = "voicemail", "Left a voicemail"
    CALL_BACK = "call_back", "Call back later"
    QUALIFIED = "qualified", "Spoke — qualified"
    NOT_ELIGIBLE = "not_eligible", "Spoke — not eligible"
    WRONG_NUMBER = "wrong_number", "Wrong number"


class CallAttempt(models.Model):
    """One call made to a reader from the queue: its outcome, and a note that may hold
    personal details (erased with the lead)."""

    wagtail_reference_index_ignore = True

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=20, choices=CallOutcome.choices)
    note = models.TextField(max_length=2000, blank=True)
    callback_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"Call #{self.pk} to lead #{self.lead_id}"


class DeskEvent(models.Model):
    """An anonymous record of something done to many leads at once: an export, an erasure,
    a purge, a subject access export. The audit log entry points here; neither holds the
    person's details."""

    wagtail_reference_index_ignore = True

    class Kind(models.TextChoices):
        EXPORT = "export", "Export"
        ERASURE = "erasure", "Erasure on request"
        PURGE = "purge", "Retention purge"
        SUBJECT_ACCESS = "subject_access", "Subject access export"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    row_count = models.PositiveIntegerField(default=0)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} ({self.row_count} leads)"


class WebhookEndpoint(models.Model):
    """A further system that receives qualified leads, beside the claims system named by
    LEADS_WEBHOOK_URL. Managed by superusers only: where personal data goes is theirs to
    decide. The secret is stored to sign with and never shown back in full."""

    wagtail_reference_index_ignore = True

    name = models.CharField(max_length=100, unique=True, help_text="e.g. 'Claims system (test)'.")
    url = models.CharField(
        "address",
        max_length=500,
        validators=[check_url],
        help_text="Where hand-offs are POSTed: https:// (or http:// inside the network).",
    )
    secret = models.CharField(
        max_length=200,
        validators=[check_secret],
        help_text=(
            "The signing secret agreed with the receiver: whsec_ followed by base64 (the "
            "Standard Webhooks form), or any other text, used as it is."
        ),
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="Only active endpoints receive new hand-offs."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "hand-off endpoint"

    def __str__(self):
        return self.name

    @property
    def secret_hint(self):
        """Enough of the secret to tell two apart, never enough to use."""
        return f"…{self.secret[-4:]}" if len(self.secret) >= 16 else "…"


class HandoffStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    RETRYING = "retrying", "Failed, will retry"
    DELIVERED = "delivered", "Delivered"
    GAVE_UP = "gave_up", "Failed, gave up"


class Handoff(models.Model):
    """One lead handed to one receiving system. Its webhook-id stays the same across every
    retry and replay, so the receiver can tell a repeat from a new lead; at most one worker
    sends it at a time (the claim: `claim_token` until `claimed_until`).

    The body is built from the lead at each attempt and not kept here: erasing the lead
    erases its hand-offs, and nothing is sent for a lead that is gone."""

    wagtail_reference_index_ignore = True

    class Trigger(models.TextChoices):
        QUALIFIED = "qualified", "Lead qualified"
        MANUAL = "manual", "Sent from the desk"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="handoffs")
    # Empty: the claims system named by LEADS_WEBHOOK_URL.
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    webhook_id = models.CharField(max_length=64, unique=True, editable=False)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    status = models.CharField(
        max_length=20, choices=HandoffStatus.choices, default=HandoffStatus.PENDING
    )
    # Every try ever made (numbering the delivery log), and the failures since the hand-off
    # was made or last replayed (the backoff and the limit count these).
    attempts = models.PositiveSmallIntegerField(default=0)
    failures = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="leads_handoff_due")]
        constraints = [
            # One hand-off per lead and receiver: sending again is a replay of the same one.
            models.UniqueConstraint(
                fields=["lead"],
                condition=models.Q(endpoint__isnull=True),
                name="leads_handoff_one_per_lead",
            ),
            models.UniqueConstraint(
                fields=["lead", "endpoint"],
                condition=models.Q(endpoint__isnull=False),
                name="leads_handoff_one_per_lead_endpoint",
            ),
        ]

    def __str__(self):
        return f"Hand-off {self.webhook_id} of lead #{self.lead_id}"

    @property
    def receiver_name(self):
        return self.endpoint.name if self.endpoint_id else "Claims system"


class HandoffDelivery(models.Model):
    """One try at sending a hand-off: when, how it ended, the receiver's HTTP status. Never
    the body, which holds the person's details."""

    wagtail_reference_index_ignore = True

    class Outcome(models.TextChoices):
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        RETRY = "retry", "Failed, will retry"
        GAVE_UP = "gave_up", "Failed, gave up"
        INTERRUPTED = "interrupted", "Interrupted (the worker stopped)"

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="deliveries")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.SENDING)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]

    def __str__(self):
        return f"Delivery {self.number} of {self.handoff_id}"


class DeviceClass(models.TextChoices):
    MOBILE = "mobile", "Mobile"
    TABLET = "tablet", "Tablet"
    DESKTOP = "desktop", "Desktop"


class PageViewDay(models.Model):
    """How many readers saw one public page on one day, from one campaign, referring site and
    kind of device: an aggregate, never a reader (leads/conversion/, docs/data-protection.md).

    Written only by the fold (leads/conversion/fold.py), which adds the counts the web
    processes kept in Redis; one row per distinct set of dimensions, found by `key`."""

    day = models.DateField(db_index=True)
    # The sha256 of the day and every dimension below: unique, and short enough to index
    # whatever the values' lengths.
    key = models.CharField(max_length=64, unique=True)
    path = models.CharField(max_length=255)
    page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    referrer_host = models.CharField(max_length=100, blank=True)
    device = models.CharField(max_length=10, choices=DeviceClass.choices)
    views = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "page views (per day)"
        verbose_name_plural = "page views (per day)"
        indexes = [models.Index(fields=["page", "day"], name="leads_pageviewday_page_day")]

    def __str__(self):
        return f"{self.path} on {self.day}: {self.views}"


class ViewFold(models.Model):
    """One batch of counts taken from Redis and added to PageViewDay, recorded in the same
    transaction: a fold that stops after committing and before deleting its batch finds the
    batch here next time and deletes it without adding it twice."""

    batch = models.CharField(max_length=64, unique=True)
    folded_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return self.batch
