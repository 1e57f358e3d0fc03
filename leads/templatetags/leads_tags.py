from django import template
from wagtail.models import Page

from leads.forms import LeadForm
from leads.security import make_token
from leads.views import FORM_STATE_ATTR

register = template.Library()


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
    form = state["form"] if state else LeadForm()
    sent = (
        request is not None
        and request.method == "GET"
        and request.GET.get("callback") == "sent"
        and state is None
    )
    token = ""
    if form_snippet is not None:
        token = make_token(page, form_snippet, rendered_at=state["rendered_at"] if state else None)
    return {
        "request": request,
        "page": page,
        "snippet": form_snippet,
        "form": form,
        "token": token,
        "sent": sent,
    }
