"""The admin side of leads: call-back form snippets for editors, and the leads desk for
claims staff (wagtail-modeladmin), kept in this one module so it can later move to Wagtail's
own ModelViewSet without touching the rest of the app.

Who may do what (see docs/data-protection.md):
- list, inspect: leads.view_lead (listing is NOT granted by "any lead permission", unlike
  modeladmin's default);
- status, owner, notes, spam flag: leads.change_lead;
- CSV/XLSX export and subject access export: leads.export_lead (plus view);
- erasure on request: leads.delete_lead.
Nobody creates or edits a lead's captured answers here.
"""

from datetime import timedelta

import phonenumbers
from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.admin import DateFieldListFilter, SimpleListFilter
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from wagtail import hooks
from wagtail.admin.ui.components import Component
from wagtail.models import ModelLogEntry
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin, modeladmin_register
from wagtail_modeladmin.views import IndexView, InspectView

from leads import desk, export
from leads.models import CallBackForm, DeskEvent, Lead, LeadStatus


class CallBackFormViewSet(SnippetViewSet):
    """Editors manage the wording of call-back boxes here."""

    model = CallBackForm
    icon = "form"
    menu_label = "Call-back forms"
    list_display = ["name", "heading"]
    search_fields = ["name"]


register_snippet(CallBackFormViewSet)


# -- permissions -----------------------------------------------------------------------------


def can_view(user):
    return user.is_active and user.has_perm("leads.view_lead")


def can_work(user):
    return can_view(user) and user.has_perm("leads.change_lead")


def can_export(user):
    return can_view(user) and user.has_perm("leads.export_lead")


def can_erase(user):
    return can_view(user) and user.has_perm("leads.delete_lead")


def forbidden(request):
    """A plain 403: Wagtail would turn PermissionDenied into a redirect to the dashboard, which
    hides from tests and from the person that this area is closed to them."""
    return TemplateResponse(request, "leads/admin/forbidden.html", {}, status=403)


class LeadPermissionHelper(PermissionHelper):
    """Listing and inspecting need the view permission itself, not just any lead permission;
    nothing here creates, edits or deletes a lead row."""

    def user_can_list(self, user):
        return can_view(user)

    def user_can_inspect_obj(self, user, obj):
        return can_view(user)

    def user_can_create(self, user):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


# -- filters ---------------------------------------------------------------------------------


class OwnerFilter(SimpleListFilter):
    title = "owner"
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        owners = get_user_model().objects.filter(
            pk__in=Lead.objects.exclude(owner=None).values("owner")
        )
        return [("none", "Nobody")] + [
            (str(user.pk), user.get_full_name() or user.get_username()) for user in owners
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(owner__isnull=True)
        if value and value.isdigit():
            return queryset.filter(owner_id=int(value))
        return queryset if not value else queryset.none()


class FormFilter(SimpleListFilter):
    title = "call-back form"
    parameter_name = "form"

    def lookups(self, request, model_admin):
        return [
            (str(form.pk), form.name)
            for form in CallBackForm.objects.filter(pk__in=Lead.objects.values("form"))
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(form_id=int(value))
        return queryset if not value else queryset.none()


class SourcePageFilter(SimpleListFilter):
    title = "source page"
    parameter_name = "source_page"

    def lookups(self, request, model_admin):
        rows = (
            Lead.objects.exclude(source_page_title="")
            .values_list("source_page_id", "source_page_title")
            .distinct()
            .order_by("source_page_title")
        )
        return [(str(pk) if pk else f"t:{title}", title) for pk, title in rows[:200]]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value.startswith("t:"):
            return queryset.filter(source_page__isnull=True, source_page_title=value[2:])
        if value.isdigit():
            return queryset.filter(source_page_id=int(value))
        return queryset.none()


def _breach_type_relations():
    """(page model, field name, breach type model) for case-study pages, found at run time so
    the leads app never imports the breaches app."""
    if not apps.is_installed("breaches"):
        return []
    try:
        breach_type = apps.get_model("breaches", "BreachType")
    except LookupError:
        return []
    from wagtail.models import Page

    found = []
    for model in apps.get_app_config("breaches").get_models():
        if not issubclass(model, Page):
            continue
        for field in model._meta.get_fields():
            if field.many_to_many and field.related_model is breach_type and field.concrete:
                found.append((model, field.name, breach_type))
    return found


class BreachTypeFilter(SimpleListFilter):
    title = "breach type of the source page"
    parameter_name = "breach_type"

    def lookups(self, request, model_admin):
        relations = _breach_type_relations()
        if not relations:
            return []
        breach_type = relations[0][2]
        return [(str(item.pk), str(item)) for item in breach_type.objects.all()]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        page_ids = Q(pk__in=[])
        for model, field_name, _ in _breach_type_relations():
            page_ids |= Q(
                source_page_id__in=model.objects.filter(**{field_name: value}).values("pk")
            )
        return queryset.filter(page_ids)


# -- views -----------------------------------------------------------------------------------


class LeadIndexView(IndexView):
    """The list, plus exports of exactly the rows it shows (same search, filters, order)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        if not can_view(request.user):
            return forbidden(request)
        if request.GET.get(self.EXPORT_VAR) and not can_export(request.user):
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        results = super().get_search_results(request, queryset, search_term)
        # A phone number typed any way (07..., +44 7..., spaces) finds the stored E.164.
        try:
            number = phonenumbers.parse(search_term, "GB")
        except phonenumbers.NumberParseException:
            return results
        if phonenumbers.is_possible_number(number):
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            return (results | queryset.filter(phone=e164)).distinct()
        return results

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_export_leads"] = can_export(self.request.user)
        context["can_erase_leads"] = can_erase(self.request.user)
        return context

    def as_spreadsheet(self, queryset, spreadsheet_format):
        user = self.request.user
        if not can_export(user):
            return forbidden(self.request)
        filters = {
            key: self.request.GET.getlist(key) for key in self.request.GET if key != "export"
        }
        count = queryset.count()
        xlsx_cap = getattr(settings, "LEADS_XLSX_MAX_ROWS", 25_000)
        if spreadsheet_format == "xlsx" and count > xlsx_cap:
            # XLSX is assembled before it is sent (about 1,500 rows a second); beyond the cap
            # it would outlast the request timeout. CSV streams and has no cap.
            messages.error(
                self.request,
                f"{count} leads are too many for an XLSX file (at most {xlsx_cap}). "
                "Download CSV instead, or narrow the filters.",
            )
            return redirect(self.request.get_full_path().replace("export=xlsx", "").rstrip("&?"))
        event = desk.record_event(
            DeskEvent.Kind.EXPORT,
            user,
            count,
            {"format": spreadsheet_format, "filters": filters},
            "leads.export",
        )
        desk.log_on_each_lead(
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
        context.update(
            lead=lead,
            received=export.format_time(lead.created_at),
            notes=lead.notes.select_related("author"),
            history=ModelLogEntry.objects.for_instance(lead)
            .select_related("user")
            .order_by("-timestamp"),
            can_work=can_work(user),
            next_statuses=[(s, LeadStatus(s).label) for s in desk.allowed_statuses(lead)],
            staff=get_user_model()
            .objects.filter(Q(is_superuser=True) | Q(groups__name="Lead managers"), is_active=True)
            .distinct()
            .order_by("username"),
        )
        return context

    def post(self, request, *args, **kwargs):
        if not can_work(request.user):
            return forbidden(request)
        lead = self.instance
        action = request.POST.get("action")
        try:
            if action == "status":
                desk.change_status(lead, request.POST.get("status", ""), request.user)
                messages.success(request, "Status changed.")
            elif action == "owner":
                owner_id = request.POST.get("owner") or None
                owner = (
                    get_user_model().objects.filter(pk=owner_id).first()
                    if owner_id and owner_id.isdigit()
                    else None
                )
                desk.assign_owner(lead, owner, request.user)
                messages.success(request, "Owner changed.")
            elif action == "note":
                text = request.POST.get("text", "").strip()
                if not text:
                    messages.error(request, "Write the note before adding it.")
                else:
                    desk.add_note(lead, text[:4000], request.user)
                    messages.success(request, "Note added.")
            elif action in ("spam", "not_spam"):
                desk.set_spam(lead, action == "spam", request.user)
                messages.success(request, "Spam flag changed.")
            else:
                messages.error(request, "Unknown action.")
        except desk.TransitionError as error:
            messages.error(request, str(error))
        return redirect(self.url_helper.get_action_url("inspect", lead.pk))


def _person_form_values(request):
    source = request.POST if request.method == "POST" else request.GET
    return source.get("email", "").strip()[:254], source.get("phone", "").strip()[:32]


def erase_view(request):
    """Find every lead of one person by email or phone, then erase them in one action."""
    if not can_erase(request.user):
        return forbidden(request)
    email, phone = _person_form_values(request)
    matches = desk.leads_of_person(email, phone) if (email or phone) else Lead.objects.none()
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        event = desk.erase_person(email, phone, request.user)
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
    if request.method == "POST" and (email or phone):
        leads = desk.leads_of_person(email, phone)
        count = leads.count()
        event = desk.record_event(
            DeskEvent.Kind.SUBJECT_ACCESS,
            request.user,
            count,
            {"matched_on": desk._matched_on(email, phone)},
            "leads.subject_access",
        )
        desk.log_on_each_lead(leads, "leads.subject_access", request.user, {"export": event.pk})
        response = HttpResponse(export.csv_bytes(leads), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="subject-access.csv"'
        response["Cache-Control"] = "no-store"
        return response
    return TemplateResponse(request, "leads/admin/subject_access.html", {})


# -- the desk --------------------------------------------------------------------------------


class LeadAdmin(ModelAdmin):
    model = Lead
    menu_label = "Leads"
    menu_icon = "user"
    menu_order = 250
    add_to_settings_menu = False
    permission_helper_class = LeadPermissionHelper
    index_view_class = LeadIndexView
    inspect_view_class = LeadInspectView
    inspect_view_enabled = True
    list_per_page = 50
    list_display = [
        "received",
        "full_name",
        "phone",
        "email",
        "best_time",
        "source",
        "status",
        "owner",
        "is_spam",
    ]
    list_filter = [
        "status",
        OwnerFilter,
        ("created_at", DateFieldListFilter),
        SourcePageFilter,
        FormFilter,
        BreachTypeFilter,
        "is_spam",
    ]
    list_select_related = ["owner"]
    search_fields = ["full_name", "email", "phone"]
    ordering = ["-created_at", "-pk"]
    # The export buttons appear because this is set; the files come from LeadIndexView.
    list_export = ["pk"]
    index_template_name = "leads/admin/index.html"

    @staticmethod
    def received(obj):
        return export.format_time(obj.created_at)

    received.short_description = "Received (Europe/London)"
    received.admin_order_field = "created_at"

    @staticmethod
    def best_time(obj):
        return obj.get_callback_time_display()

    best_time.short_description = "Best time to call"

    @staticmethod
    def source(obj):
        return obj.source_page_title or "—"

    source.short_description = "Source page"

    # Leads come only from the public form and leave only by erasure or purge.
    def create_view(self, request):
        return forbidden(request)

    def edit_view(self, request, instance_pk):
        return forbidden(request)

    def delete_view(self, request, instance_pk):
        return forbidden(request)

    def get_admin_urls_for_registration(self):
        return super().get_admin_urls_for_registration() + (
            path("leads/lead/erase/", erase_view, name="leads_erase"),
            path("leads/lead/subject-access/", subject_access_view, name="leads_subject_access"),
        )


modeladmin_register(LeadAdmin)


@hooks.register("register_log_actions")
def register_lead_log_actions(actions):
    for action, label, message in desk.LOG_ACTIONS:
        actions.register_action(action, label, message)


# -- dashboard -------------------------------------------------------------------------------


class LeadsPanel(Component):
    """New leads today and this week, leads by status, top source pages, a 14-day chart."""

    name = "leads_summary"
    template_name = "leads/admin/dashboard_panel.html"
    order = 90

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        now = timezone.localtime()
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        week = today - timedelta(days=today.weekday())
        genuine = Lead.objects.filter(is_spam=False)
        counts = genuine.aggregate(
            today=Count("pk", filter=Q(created_at__gte=today)),
            week=Count("pk", filter=Q(created_at__gte=week)),
        )
        by_status = dict(genuine.values_list("status").annotate(n=Count("pk")))
        start = today - timedelta(days=13)
        per_day = dict.fromkeys(range(14), 0)
        for created in genuine.filter(created_at__gte=start).values_list("created_at", flat=True):
            per_day[(timezone.localtime(created).date() - start.date()).days] += 1
        peak = max(per_day.values()) or 1
        bars = [
            {
                "x": index * 20,
                "height": round(60 * count / peak),
                "y": 60 - round(60 * count / peak),
                "count": count,
                "day": (start + timedelta(days=index)).strftime("%a %d %b"),
            }
            for index, count in per_day.items()
        ]
        context.update(
            today=counts["today"],
            week=counts["week"],
            statuses=[(label, by_status.get(value, 0)) for value, label in LeadStatus.choices],
            spam=Lead.objects.filter(is_spam=True).count(),
            top_pages=genuine.exclude(source_page_title="")
            .values("source_page_title")
            .annotate(n=Count("pk"))
            .order_by("-n")[:5],
            bars=bars,
            index_url=reverse("leads_lead_modeladmin_index"),
        )
        return context


@hooks.register("construct_homepage_panels")
def add_leads_panel(request, panels):
    if can_view(request.user):
        panels.insert(0, LeadsPanel())
