"""Who may do what at the leads desk (see docs/data-protection.md).

- list, inspect: leads.view_lead (listing is NOT granted by "any lead permission", unlike
  modeladmin's default);
- status, owner, notes, spam flag: leads.change_lead;
- CSV/XLSX export and subject access export: leads.export_lead (plus view);
- erasure on request: leads.delete_lead;
- sending a lead to the claims system and replaying a hand-off: leads.handoff_lead (plus
  change); where hand-offs go (the endpoints): superusers only, whatever a group is given.
Nobody creates or edits a lead's captured answers here.
"""

from django.contrib.auth import get_user_model
from django.template.response import TemplateResponse
from wagtail.permission_policies import BasePermissionPolicy
from wagtail_modeladmin.helpers import PermissionHelper


def can_view(user):
    return user.is_active and user.has_perm("leads.view_lead")


def can_work(user):
    return can_view(user) and user.has_perm("leads.change_lead")


def can_export(user):
    return can_view(user) and user.has_perm("leads.export_lead")


def can_erase(user):
    return can_view(user) and user.has_perm("leads.delete_lead")


def can_hand_off(user):
    return can_work(user) and user.has_perm("leads.handoff_lead")


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


class SuperusersOnly(BasePermissionPolicy):
    """Every action on the model is for active superusers alone: permissions granted to a
    group do not open it. Actions named in `never` are for no one (an endpoint is switched
    off, not deleted: its hand-offs keep their history)."""

    def __init__(self, model, never=()):
        super().__init__(model)
        self.never = set(never)

    def user_has_permission(self, user, action):
        return action not in self.never and user.is_active and user.is_superuser

    def users_with_any_permission(self, actions):
        return get_user_model().objects.filter(is_active=True, is_superuser=True)
