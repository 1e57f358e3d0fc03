"""Who may do what at the leads desk (see docs/data-protection.md).

- list, inspect: leads.view_lead (listing is NOT granted by "any lead permission", unlike
  modeladmin's default);
- status, owner, notes, spam flag: leads.change_lead;
- CSV/XLSX export and subject access export: leads.export_lead (plus view);
- erasure on request: leads.delete_lead.
Nobody creates or edits a lead's captured answers here.
"""

from django.template.response import TemplateResponse
from wagtail_modeladmin.helpers import PermissionHelper


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
