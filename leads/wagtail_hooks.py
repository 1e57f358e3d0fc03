"""Registers the leads app's parts of the Wagtail admin; they live in leads/admin/."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail_modeladmin.options import modeladmin_register

from leads.admin.desk import CallBackFormViewSet, LeadAdmin
from leads.admin.endpoints import EndpointViewSet
from leads.admin.panels import LeadsPanel
from leads.admin.permissions import SuperusersOnly, can_view
from leads.admin.queue import admin_urls as queue_urls
from leads.admin.queue import menu_item as queue_menu_item
from leads.admin.review import add_panel as add_review_panel
from leads.admin.review import admin_urls as review_urls
from leads.admin.review import menu_item as review_menu_item
from leads.audit import LOG_ACTIONS
from leads.conversion import report as conversion_report
from leads.models import WebhookEndpoint

register_snippet(CallBackFormViewSet)
modeladmin_register(LeadAdmin)
register_permission_policy(WebhookEndpoint, SuperusersOnly(WebhookEndpoint, never=["delete"]))


@hooks.register("register_admin_viewset")
def register_endpoint_viewset():
    return EndpointViewSet("handoff_endpoints")


# The call queue (leads/admin/queue.py).
hooks.register("register_admin_urls", queue_urls)
hooks.register("register_admin_menu_item", queue_menu_item)

# The leads held for review (leads/admin/review.py).
hooks.register("register_admin_urls", review_urls)
hooks.register("register_admin_menu_item", review_menu_item)
hooks.register("construct_homepage_panels", add_review_panel)


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
