from django import template

register = template.Library()


@register.inclusion_tag("leads/callback_box.html", takes_context=True)
def callback_box(context, form_snippet):
    """The call-back box for a page: the snippet's wording around the lead form."""
    return {"request": context.get("request"), "page": context.get("page"), "snippet": form_snippet}
