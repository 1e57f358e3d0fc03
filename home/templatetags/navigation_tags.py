from django import template
from wagtail.models import Site

from home.page_cache import memoised, public

register = template.Library()


@register.inclusion_tag("includes/main_menu.html", takes_context=True)
def main_menu(context):
    """The pages an editor ticked "show in menus" under the site's home page: one query,
    kept with the site snapshot (every publish, move or deletion replaces it)."""
    request = context.get("request")
    site = Site.find_for_request(request) if request else None
    items = []
    if site is not None:
        root = site.root_page
        items = memoised(
            ("main-menu", root.pk),
            lambda: list(public(root.get_children().live()).in_menu().specific(defer=True)),
        )
    current = context.get("page")
    current_path = getattr(current, "path", "")
    return {
        "items": [
            {"page": item, "active": bool(current_path) and current_path.startswith(item.path)}
            for item in items
        ],
        "root": site.root_page if site else None,
    }
