"""The call queue: whom to call now. Genuine open leads in the order they are due (overdue
first, marked), filtered by owner, call-back form and breach type, each with the buttons to
record a call in one click (two for "call back later": the time, then the button)."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from wagtail.admin.menu import MenuItem

from leads import calls, conf, export
from leads.admin.filters import breach_type_choices, form_choices, with_breach_type
from leads.admin.permissions import can_view, can_work, forbidden
from leads.casework import TransitionError
from leads.models import OPEN_STATUSES, CallOutcome, Lead
from leads.queue import queue

OWNER_CHOICES = [("", "Anyone"), ("mine", "Mine"), ("none", "Nobody")]


class QueueFilters(forms.Form):
    """The queue's filters, read from the address."""

    owner = forms.ChoiceField(label="Owner", choices=OWNER_CHOICES, required=False)
    form = forms.ChoiceField(label="Call-back form", required=False)
    breach_type = forms.ChoiceField(label="Breach type", required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "queue-%s")
        super().__init__(*args, **kwargs)
        self.fields["form"].choices = [("", "Any form")] + form_choices()
        self.fields["breach_type"].choices = [("", "Any breach type")] + breach_type_choices()

    def apply(self, queryset, user):
        # A value that is not one of the choices is shown as an error beside its filter and
        # left out; the others still apply.
        self.is_valid()
        values = getattr(self, "cleaned_data", {})
        if values.get("owner") == "mine":
            queryset = queryset.filter(owner=user)
        elif values.get("owner") == "none":
            queryset = queryset.filter(owner__isnull=True)
        if values.get("form"):
            queryset = queryset.filter(form_id=int(values["form"]))
        if values.get("breach_type"):
            queryset = with_breach_type(queryset, values["breach_type"])
        return queryset


class AttemptForm(forms.Form):
    """One call's outcome, with an optional note and, to call back later, when."""

    outcome = forms.ChoiceField(
        choices=CallOutcome.choices,
        error_messages={
            "required": "Choose the call's outcome",
            "invalid_choice": "Choose one of the outcomes",
        },
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        # One line: the call is recorded in a click or two, the note is a reminder.
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"max_length": "Keep the note to 2000 characters or fewer"},
    )
    callback_at = forms.DateTimeField(
        label="Call back at (Europe/London)",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": "Enter the date and time to call back"},
    )

    def clean(self):
        data = super().clean()
        if data.get("outcome") == CallOutcome.CALL_BACK:
            when = data.get("callback_at")
            if when is None and "callback_at" not in self.errors:
                self.add_error("callback_at", "Choose when to call back")
            elif when is not None and when <= timezone.now():
                self.add_error("callback_at", "Choose a time in the future")
        return data


def _queue_page(request, failed=None, status=200):
    """The queue page; `failed` is a (lead id, bound AttemptForm) whose errors to show."""
    now = timezone.now()
    filters = QueueFilters(request.GET or None)
    leads = filters.apply(queue(), request.user)
    total = leads.count()
    rows = []
    for lead in leads[: conf.LEADS_QUEUE_MAX_ROWS]:
        form = (
            failed[1] if failed and failed[0] == lead.pk else AttemptForm(prefix=f"lead-{lead.pk}")
        )
        overdue = lead.due_at < now
        rows.append(
            {
                "lead": lead,
                "due": export.format_time(lead.due_at),
                "overdue": overdue,
                "waiting": _duration(now - lead.due_at) if overdue else "",
                "form": form,
            }
        )
    query = request.GET.urlencode()
    return TemplateResponse(
        request,
        "leads/admin/queue.html",
        {
            "filters": filters,
            "rows": rows,
            "total": total,
            "overdue": sum(1 for row in rows if row["overdue"]),
            "shown_max": conf.LEADS_QUEUE_MAX_ROWS,
            "can_work": can_work(request.user),
            "outcomes": CallOutcome.choices,
            "query": f"?{query}" if query else "",
        },
        status=status,
    )


def _duration(delta):
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} days"


def queue_view(request):
    if not can_view(request.user):
        return forbidden(request)
    return _queue_page(request)


def attempt_view(request, lead_id):
    """Records one call from the queue, then back to the queue (with its filters)."""
    if not can_work(request.user):
        return forbidden(request)
    if request.method != "POST":
        return redirect(reverse("leads_queue"))
    lead = get_object_or_404(Lead, pk=lead_id, is_spam=False)
    form = AttemptForm(request.POST, prefix=f"lead-{lead.pk}")
    if lead.needs_review:
        messages.error(request, f"Lead #{lead.pk} is held for review: clear it first.")
    elif lead.status not in OPEN_STATUSES:
        messages.error(request, f"Lead #{lead.pk} is no longer in the queue.")
    elif not form.is_valid():
        messages.error(request, f"Lead #{lead.pk}: the call was not recorded; see below.")
        return _queue_page(request, failed=(lead.pk, form), status=400)
    else:
        data = form.cleaned_data
        try:
            calls.record_attempt(
                lead, data["outcome"], request.user, data["note"], data["callback_at"]
            )
        except TransitionError as error:
            messages.error(request, f"Lead #{lead.pk}: {error}")
        else:
            lead.refresh_from_db()
            messages.success(request, _recorded(lead, data["outcome"]))
    query = request.GET.urlencode()
    return redirect(reverse("leads_queue") + (f"?{query}" if query else ""))


def _recorded(lead, outcome):
    label = CallOutcome(outcome).label
    if lead.status in OPEN_STATUSES:
        return f"Lead #{lead.pk}: {label.lower()}. Due again {export.format_time(lead.due_at)}."
    return f"Lead #{lead.pk}: {label.lower()}. {lead.get_status_display()}; it has left the queue."


class QueueMenuItem(MenuItem):
    def is_shown(self, request):
        return can_view(request.user)


def menu_item():
    return QueueMenuItem("Call queue", reverse("leads_queue"), icon_name="mobile-alt", order=249)


def admin_urls():
    return [
        path("leads/queue/", queue_view, name="leads_queue"),
        path("leads/queue/<int:lead_id>/call/", attempt_view, name="leads_queue_attempt"),
    ]
