from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from leads.models import CallBackForm


class CallBackFormViewSet(SnippetViewSet):
    """Editors manage the wording of call-back boxes here."""

    model = CallBackForm
    icon = "form"
    menu_label = "Call-back forms"
    list_display = ["name", "heading"]
    search_fields = ["name"]


register_snippet(CallBackFormViewSet)
