"""The leads held for review: a screen listing them, oldest first, where claims staff clear
them in bulk as genuine (each is then notified) or as spam.

Leads are held when one address sends more than the everyday limit (leads/limits.py); they
are never lost, only kept from the claims team's inbox until a person has looked.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component

from leads import casework, export
from leads.admin.ids import row_id
from leads.admin.permissions import can_view, can_work, forbidden
from leads.models import Lead

PER_PAGE = 100


def held_leads():
    # Oldest first: the people who have waited longest are cleared first.
    return Lead.objects.filter(needs_review=True).order_by("created_at", "pk")


def _lead_ids(values):
    return [row_id(value) for value in values if row_id(value)][:PER_PAGE]


def review_view(request):
    """The held leads, a page at a time, with a form to clear the selected ones."""
    if not can_view(request.user):
        return forbidden(request)
    if request.method == "POST":
        if not can_work(request.user):
            return forbidden(request)
        return _clear(request)
    paginator = Paginator(held_leads(), PER_PAGE)
    page = paginator.get_page(request.GET.get("p"))
    rows = [
        {
            "lead": lead,
            "received": export.format_time(lead.created_at),
            "reasons": ", ".join(lead.review_reason_labels()),
        }
        for lead in page.object_list
    ]
    return TemplateResponse(
        request,
        "leads/admin/review.html",
        {
            "page": page,
            "rows": rows,
            "held": paginator.count,
            "can_work": can_work(request.user),
        },
    )


def _clear(request):
    action = request.POST.get("action")
    if action not in ("clear", "spam", "clear_page"):
        messages.error(request, "Unknown action.")
        return redirect(request.get_full_path())
    field = "shown" if action == "clear_page" else "lead"
    ids = _lead_ids(request.POST.getlist(field))
    if not ids:
        messages.error(request, "Select at least one lead first.")
        return redirect(request.get_full_path())
    spam = action == "spam"
    cleared = casework.clear_review(ids, request.user, spam=spam)
    if spam:
        messages.success(request, f"{cleared} lead{'s' * (cleared != 1)} marked as spam.")
    else:
        messages.success(
            request,
            f"{cleared} lead{'s' * (cleared != 1)} cleared; the claims team is being notified.",
        )
    return redirect(request.get_full_path())


class ReviewMenuItem(MenuItem):
    """ "Leads to review" in the admin menu, for those who may see leads."""

    def is_shown(self, request):
        return can_view(request.user)


class ReviewPanel(Component):
    """On the dashboard, while leads are held: how many, and a link to them."""

    name = "leads_review"
    template_name = "leads/admin/review_panel.html"
    order = 80

    def __init__(self, held):
        self.held = held

    def get_context_data(self, parent_context):
        return {"held": self.held, "review_url": reverse("leads_review")}


def add_panel(request, panels):
    if not can_view(request.user):
        return
    held = held_leads().count()
    if held:
        panels.insert(0, ReviewPanel(held))


def admin_urls():
    return [path("leads/review/", review_view, name="leads_review")]


def menu_item():
    return ReviewMenuItem(
        "Leads to review", reverse("leads_review"), icon_name="warning", order=251
    )
