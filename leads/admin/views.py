"""The leads desk's screens: the list with its exports, one lead's page with the controls to
work it, and the erasure and subject access pages for one person's leads."""

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry
from wagtail_modeladmin.views import IndexView, InspectView

from leads import casework, conf, export, handoff, late_notices, phones, subject_rights
from leads.admin.ids import row_id
from leads.admin.permissions import (
    can_erase,
    can_export,
    can_hand_off,
    can_view,
    can_work,
    forbidden,
)
from leads.audit import export_detail, log_on_each_lead, record_event
from leads.models import CallOutcome, DeskEvent, Handoff, Lead, LeadStatus


class LeadIndexView(IndexView):
    """The list, plus exports of exactly the rows it shows (same search, filters, order)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        if not can_view(request.user):
            return forbidden(request)
        if request.GET.get(self.EXPORT_VAR) and not can_export(request.user):
            return forbidden(request)
        if _has_nul(*(value for _, values in request.GET.lists() for value in values)):
            return HttpResponseBadRequest("The address holds a character no search can use.")
        try:
            return super().dispatch(request, *args, **kwargs)
        except IncorrectLookupParameters:
            # As Django's own admin does, but to the whole list with the reason, not a bare
            # "?e=1" page: a hand-edited or stale address is not an error worth a 500.
            messages.error(
                request,
                "The filters in that address could not be read, so all leads are shown.",
            )
            return redirect(request.path)

    def get_search_results(self, request, queryset, search_term):
        results = super().get_search_results(request, queryset, search_term)
        # A phone number typed any way (07..., +44 7..., spaces) finds the stored E.164.
        number = phones.possible_e164(search_term)
        if number is None:
            return results
        return (results | queryset.filter(phone=number)).distinct()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_export_leads"] = can_export(self.request.user)
        context["can_erase_leads"] = can_erase(self.request.user)
        return context

    def as_spreadsheet(self, queryset, spreadsheet_format):
        user = self.request.user
        if not can_export(user):
            return forbidden(self.request)
        count = queryset.count()
        xlsx_cap = conf.LEADS_XLSX_MAX_ROWS
        if spreadsheet_format == "xlsx" and count > xlsx_cap:
            # XLSX is assembled before it is sent (about 1,500 rows a second); beyond the cap
            # it would outlast the request timeout. CSV streams and has no cap.
            messages.error(
                self.request,
                f"{count} leads are too many for an XLSX file (at most {xlsx_cap}). "
                "Download CSV instead, or narrow the filters.",
            )
            return redirect(self.request.get_full_path().replace("export=xlsx", "").rstrip("&?"))
        event = record_event(
            DeskEvent.Kind.EXPORT,
            user,
            count,
            export_detail(dict(self.request.GET.lists()), spreadsheet_format),
            "leads.export",
        )
        log_on_each_lead(
            queryset, "leads.export", user, {"export": event.pk, "format": spreadsheet_format}
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        if spreadsheet_format == "csv":
            response = StreamingHttpResponse(
                export.csv_chunks(queryset), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="leads-{stamp}.csv"'
        else:
            response = FileResponse(
                export.xlsx_file(queryset),
                as_attachment=True,
                filename=f"leads-{stamp}.xlsx",
                content_type=("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            )
        response["Cache-Control"] = "no-store"
        return response


class LeadInspectView(InspectView):
    """The whole lead, its notes and history, and the controls to work it."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can_view(request.user):
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)

    def get_template_names(self):
        return ["leads/admin/inspect.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lead = self.instance
        user = self.request.user
        handoffs = list(handoff.lead_handoffs(lead))
        context.update(
            handoffs=handoffs,
            can_hand_off=can_hand_off(user),
            unsent_receivers=bool(handoff.missing_receivers(lead)),
            lead=lead,
            received=export.format_time(lead.created_at),
            notice_late=late_notices.is_late(lead),
            notes=lead.notes.select_related("author"),
            history=self.history(lead),
            attempts=lead.attempts.select_related("user"),
            due=export.format_time(lead.due_at) if lead.due_at else "",
            can_work=can_work(user),
            next_statuses=[(s, LeadStatus(s).label) for s in casework.allowed_statuses(lead)],
            staff=get_user_model()
            .objects.filter(Q(is_superuser=True) | Q(groups__name="Lead managers"), is_active=True)
            .distinct()
            .order_by("username"),
        )
        return context

    @staticmethod
    def history(lead):
        """The lead's audit log entries, newest first; a call's outcome by its label."""
        entries = list(
            ModelLogEntry.objects.for_instance(lead).select_related("user").order_by("-timestamp")
        )
        labels = dict(CallOutcome.choices)
        for entry in entries:
            data = entry.data if isinstance(entry.data, dict) else {}
            entry.outcome_label = labels.get(data.get("outcome"), "")
        return entries

    def post(self, request, *args, **kwargs):
        if not can_work(request.user):
            return forbidden(request)
        if _has_nul(*(value for _, values in request.POST.lists() for value in values)):
            return HttpResponseBadRequest("The form holds a character no field can store.")
        lead = self.instance
        action = request.POST.get("action")
        if action in ("handoff", "replay"):
            if not can_hand_off(request.user):
                return forbidden(request)
            self.hand_off(lead, action, request)
            return redirect(self.url_helper.get_action_url("inspect", lead.pk))
        try:
            if action == "status":
                casework.change_status(lead, request.POST.get("status", ""), request.user)
                messages.success(request, "Status changed.")
            elif action == "owner":
                owner_id = request.POST.get("owner") or None
                owner = (
                    get_user_model().objects.filter(pk=owner_id).first()
                    if row_id(owner_id)
                    else None
                )
                casework.assign_owner(lead, owner, request.user)
                messages.success(request, "Owner changed.")
            elif action == "note":
                text = request.POST.get("text", "").strip()
                if not text:
                    messages.error(request, "Write the note before adding it.")
                else:
                    casework.add_note(lead, text[:4000], request.user)
                    messages.success(request, "Note added.")
            elif action in ("review_clear", "review_spam"):
                casework.clear_review([lead.pk], request.user, spam=action == "review_spam")
                messages.success(request, "Hold for review cleared.")
            elif action in ("spam", "not_spam"):
                casework.set_spam(lead, action == "spam", request.user)
                messages.success(request, "Spam flag changed.")
            else:
                messages.error(request, "Unknown action.")
        except casework.TransitionError as error:
            messages.error(request, str(error))
        return redirect(self.url_helper.get_action_url("inspect", lead.pk))

    def hand_off(self, lead, action, request):
        """Sends the lead to each receiver it has not gone to, or replays one hand-off."""
        if action == "handoff":
            with transaction.atomic():
                sent = handoff.hand_off(lead, request.user, Handoff.Trigger.MANUAL)
            if sent:
                messages.success(request, "Sending the lead to the claims system.")
            elif lead.is_spam:
                messages.error(request, "A lead marked as spam is not sent.")
            elif not handoff.receivers():
                messages.error(request, "No claims system is configured (LEADS_WEBHOOK_URL).")
            else:
                messages.error(request, "The lead has been handed off already: replay it below.")
            return
        pk = request.POST.get("handoff", "")
        target = Handoff.objects.filter(lead=lead, pk=row_id(pk)).first() if row_id(pk) else None
        if target is None:
            messages.error(request, "No such hand-off for this lead.")
        elif handoff.replay(target, request.user):
            messages.success(request, f"Sending hand-off {target.webhook_id} again.")
        else:
            messages.error(request, "That hand-off is waiting or being sent already.")


def _person_form_values(request):
    source = request.POST if request.method == "POST" else request.GET
    return source.get("email", "").strip()[:254], source.get("phone", "").strip()[:32]


def _has_nul(*values):
    # No database stores a NUL in text; PostgreSQL refuses a query holding one.
    return any("\x00" in value for value in values)


def erase_view(request):
    """Find every lead of one person by email or phone, then erase them in one action."""
    if not can_erase(request.user):
        return forbidden(request)
    email, phone = _person_form_values(request)
    if _has_nul(email, phone):
        return HttpResponseBadRequest("An email address or phone number holds no NUL.")
    matches = (
        subject_rights.leads_of_person(email, phone) if (email or phone) else Lead.objects.none()
    )
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        event = subject_rights.erase_person(email, phone, request.user)
        messages.success(request, f"Erased {event.row_count} leads. The erasure is logged.")
        return redirect(reverse("leads_erase"))
    return TemplateResponse(
        request,
        "leads/admin/erase.html",
        {
            "email": email,
            "phone": phone,
            "searched": bool(email or phone),
            "matches": matches.order_by("-created_at")[:100],
            "match_count": matches.count(),
        },
    )


def subject_access_view(request):
    """One person's leads as a CSV file, for a subject access request."""
    if not can_export(request.user):
        return forbidden(request)
    email, phone = _person_form_values(request)
    if _has_nul(email, phone):
        return HttpResponseBadRequest("An email address or phone number holds no NUL.")
    if request.method == "POST" and (email or phone):
        response = HttpResponse(
            subject_rights.subject_access_csv(email, phone, request.user),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="subject-access.csv"'
        response["Cache-Control"] = "no-store"
        return response
    return TemplateResponse(request, "leads/admin/subject_access.html", {})
