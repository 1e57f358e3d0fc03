"""CallBackFormMixin: the call-back form field and panel that pages share (HomePage here,
BreachCaseStudyPage in breaches)."""

from django.apps import apps
from django.db import models
from wagtail.admin.panels import FieldPanel


class CallBackFormMixin(models.Model):
    """Lets a page choose its own call-back form; without one it shows the site default.

    The form is referred to by string so the site shell does not import the leads app.
    """

    callback_form = models.ForeignKey(
        "leads.CallBackForm",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The call-back box on this page. Leave empty to use the site's default form.",
    )

    callback_panels = [FieldPanel("callback_form", heading="Call-back form")]

    # The box thanks the reader after a no-script submission (leads/views.py redirects to
    # ?callback=sent); every other query parameter is dropped (home/page_cache/query.py).
    query_params = ("callback",)

    class Meta:
        abstract = True

    def get_callback_form(self, request=None):
        if self.callback_form_id:
            return self.callback_form
        # By name, not by import: home/models.py defines SiteSettings and imports this module.
        site_settings_model = apps.get_model("home", "SiteSettings")
        site_settings = (
            site_settings_model.for_request(request)
            if request
            else site_settings_model.for_site(self.get_site())
        )
        return site_settings.default_callback_form
