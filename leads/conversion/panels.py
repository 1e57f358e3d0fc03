"""The small panel on a case study's edit screen: its last 30 days against the site's."""

from django.utils import timezone
from wagtail.admin.panels import Panel

from leads.conversion.figures import page_summary

DAYS = 30


class ConversionPanel(Panel):
    """Views, call-back requests and conversion of the page being edited over the last 30
    days, and the site's average conversion, for editors deciding what to write next."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "leads/conversion/panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            page = self.instance
            context["days"] = DAYS
            context["page_row"] = context["site_row"] = None
            if page is not None and page.pk:
                context["page_row"], context["site_row"] = page_summary(
                    page, timezone.localdate(), DAYS
                )
            return context
