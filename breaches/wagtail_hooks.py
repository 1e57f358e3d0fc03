from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from breaches.models import BreachType


class BreachTypeViewSet(SnippetViewSet):
    """Editors keep the list of breach types here; case studies are tagged with them."""

    model = BreachType
    icon = "warning"
    menu_label = "Breach types"
    menu_order = 300
    add_to_admin_menu = True
    list_display = ["name", "slug", "description"]
    search_fields = ["name", "description"]
    ordering = ["name"]


register_snippet(BreachTypeViewSet)
