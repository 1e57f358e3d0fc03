"""The leads desk (wagtail-modeladmin) and the call-back form snippets' viewset: which
screens, columns, filters and extra pages the admin shows for leads."""

from django.contrib.admin import DateFieldListFilter
from django.http import Http404
from django.urls import path
from django.utils.html import format_html
from wagtail.snippets.views.snippets import SnippetViewSet
from wagtail_modeladmin.options import ModelAdmin

from leads import export, late_notices
from leads.admin.filters import (
    BreachTypeFilter,
    FormFilter,
    NoticeFilter,
    OwnerFilter,
    SourcePageFilter,
)
from leads.admin.ids import row_id
from leads.admin.permissions import LeadPermissionHelper, forbidden
from leads.admin.views import LeadIndexView, LeadInspectView, erase_view, subject_access_view
from leads.models import CallBackForm, Lead


class CallBackFormViewSet(SnippetViewSet):
    """Editors manage the wording of call-back boxes here."""

    model = CallBackForm
    icon = "form"
    menu_label = "Call-back forms"
    list_display = ["name", "heading"]
    search_fields = ["name"]


class LeadAdmin(ModelAdmin):
    """The list of leads with its filters and exports, each lead's page, and the pages for
    one person's erasure and subject access export."""

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
        "notice",
    ]
    list_filter = [
        "status",
        NoticeFilter,
        OwnerFilter,
        ("created_at", DateFieldListFilter),
        SourcePageFilter,
        FormFilter,
        BreachTypeFilter,
        "needs_review",
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

    # A method, not a staticmethod: modeladmin reads short_description off the function.
    def notice(self, obj):
        # Late stands out: it means the task worker is not sending (docs/deployment.md).
        if late_notices.is_late(obj):
            return format_html(
                '<span class="{}">{}</span>', "w-status w-status--primary", "Notice late"
            )
        return obj.get_notification_status_display()

    notice.short_description = "Notice to the claims team"

    def inspect_view(self, request, instance_pk):
        # A lead's number is a number: anything else in the address is a page that does not
        # exist (the view would otherwise fail looking it up).
        if row_id(instance_pk) is None:
            raise Http404("No lead has that number.")
        return super().inspect_view(request, instance_pk)

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
