from django import template
from django.conf import settings
from django.template.loader import render_to_string
from wagtail.models import Page

from leads.forms import LeadForm
from leads.security import make_token
from leads.views import FORM_STATE_ATTR

register = template.Library()

FIELD_TEMPLATES = (
    "leads/includes/lead_fields.html",
    "leads/includes/privacy_ack_field.html",
)

# An empty form's inputs depend on nothing but the code, so each process renders them once:
# Django renders every widget through a template of its own, about half of a page's time.
_unbound_fields = {}


def render_fields(form=None):
    """(inputs before the privacy notice, the acknowledgement checkbox) as HTML.

    Rendered afresh for a reader's form (their values and errors) and under DEBUG (where
    templates change under a running server); an empty form's (form=None) come from this
    process's copy."""
    if form is None and not settings.DEBUG:
        rendered = _unbound_fields.get(LeadForm)
        if rendered is None:
            rendered = _unbound_fields[LeadForm] = render_fields(LeadForm())
        return rendered
    form = form if form is not None else LeadForm()
    return tuple(render_to_string(name, {"form": form}) for name in FIELD_TEMPLATES)


@register.inclusion_tag("leads/callback_box.html", takes_context=True)
def callback_box(context, form_snippet):
    """The call-back box for a page: the snippet's wording around the lead form.

    The HTML is the same for every visitor (no CSRF token, no session), so pages carrying it
    can be served from a shared cache. After a failed no-script submission the submit view
    leaves the reader's bound form on the request, and the box shows it with its errors.
    """
    request = context.get("request")
    page = context.get("page")
    if not isinstance(page, Page):
        page = None
    state = getattr(request, FORM_STATE_ATTR, None) if request is not None else None
    form = state["form"] if state else None
    sent = (
        request is not None
        and request.method == "GET"
        and request.GET.get("callback") == "sent"
        and state is None
    )
    token = ""
    if form_snippet is not None:
        token = make_token(
            page,
            form_snippet,
            rendered_at=state["rendered_at"] if state else None,
            request=request,
        )
    fields_html, ack_html = render_fields(form) if form_snippet is not None else ("", "")
    return {
        "request": request,
        "page": page,
        "snippet": form_snippet,
        "form": form,
        "fields_html": fields_html,
        "ack_html": ack_html,
        "token": token,
        "sent": sent,
    }
