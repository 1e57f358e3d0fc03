"""Registers the leads app's parts of the Wagtail admin; they live in leads/admin/."""

from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail_modeladmin.options import modeladmin_register

from leads.admin.desk import CallBackFormViewSet, LeadAdmin
from leads.admin.panels import LeadsPanel
from leads.admin.permissions import can_view
from leads.audit import LOG_ACTIONS
from leads.conversion import report as conversion_report

register_snippet(CallBackFormViewSet)
modeladmin_register(LeadAdmin)


@hooks.register("register_log_actions")
def register_lead_log_actions(actions):
    for action, label, message in LOG_ACTIONS:
        actions.register_action(action, label, message)


@hooks.register("construct_homepage_panels")
def add_leads_panel(request, panels):
    if can_view(request.user):
        panels.insert(0, LeadsPanel())


# The conversion report (leads/conversion/report.py): figures only, for Editors and Lead
# managers alike.
hooks.register("register_admin_urls", conversion_report.admin_urls)
hooks.register("register_reports_menu_item", conversion_report.menu_item)
