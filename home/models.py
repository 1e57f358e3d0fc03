"""The site shell's pages (HomePage, StandardPage) and its site-wide settings (SiteSettings)."""

import functools

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import models
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, PageChooserPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, Site
from wagtail.search import index

from home.blocks import RICH_TEXT_FEATURES, BaseStreamBlock
from home.callback_form import CallBackFormMixin

# Django registers an app's models by importing <app>.models; the consent models (app label
# home) live in home/consent/ and are registered by this import.
from home.consent import ConsentRecord, ConsentVersion, CookieDetail  # noqa: F401
from home.page_cache import (
    MemoisedViewRestrictionsMixin,
    MissedPurge,  # noqa: F401 - registered here, like the consent models
    route_below,
)


class HomePage(MemoisedViewRestrictionsMixin, CallBackFormMixin, Page):
    """The front door: what the firm does, the latest case studies, and how to start a claim."""

    hero_heading = models.CharField(
        max_length=120,
        help_text="The main heading readers see first. Say plainly who you help.",
    )
    hero_text = models.TextField(
        max_length=400,
        blank=True,
        help_text="One or two sentences under the heading.",
    )
    intro = RichTextField(
        features=RICH_TEXT_FEATURES,
        blank=True,
        help_text="A short introduction to the firm and how a claim works.",
    )
    cta_text = models.CharField(
        max_length=60,
        default="Start your claim",
        help_text="The main button's text.",
    )
    cta_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Where the main button goes. Empty: to the call-back form on this page.",
    )
    featured_heading = models.CharField(
        max_length=120,
        default="Latest data breach case studies",
        help_text="Heading above the list of case studies.",
    )

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [FieldPanel("hero_heading"), FieldPanel("hero_text")],
            heading="Hero",
        ),
        FieldPanel("intro"),
        MultiFieldPanel(
            [FieldPanel("cta_text"), PageChooserPanel("cta_page")],
            heading="Call to action",
        ),
        FieldPanel("featured_heading"),
        *CallBackFormMixin.callback_panels,
    ]

    search_fields = Page.search_fields + [
        index.SearchField("hero_text"),
        index.SearchField("intro"),
    ]

    template = "home/home_page.html"
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = "home page"

    def route(self, request, path_components):
        """Wagtail's routing, in one query (two after a publish) instead of two per level
        below the home page; Wagtail's own wherever a page on the way routes differently
        (home/page_cache/routing.py)."""
        if path_components:
            result = route_below(self, request, path_components)
            if result is not None:
                return result
        return super().route(request, path_components)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["callback_form"] = self.get_callback_form(request)
        return context


class StandardPage(MemoisedViewRestrictionsMixin, Page):
    """A plain content page: privacy policy, cookie policy, about us."""

    intro = models.TextField(
        max_length=400,
        blank=True,
        help_text="A sentence or two summarising the page; also used as its search description.",
    )
    body = StreamField(BaseStreamBlock(), blank=True, help_text="The page's content.")
    last_reviewed = models.DateField(
        null=True,
        blank=True,
        help_text="For policies: the date this text was last reviewed, shown to readers.",
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("body"),
        FieldPanel("last_reviewed"),
    ]

    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("body")]

    template = "home/standard_page.html"
    parent_page_types = ["home.HomePage", "home.StandardPage"]
    subpage_types = ["home.StandardPage"]

    class Meta:
        verbose_name = "standard page"


def validate_script_url(value):
    """A script must come from this site (a path) or over https; never javascript: or http:."""
    if value.startswith("/") and not value.startswith("//"):
        return
    if value.startswith("https://") and len(value) > len("https://"):
        return
    raise ValidationError(
        "Enter a path on this site starting with / (e.g. /static/js/analytics.js) "
        "or an address starting with https://."
    )


@register_setting(icon="cog")
class SiteSettings(BaseSiteSetting):
    """Facts about the firm shown across the site, and the site-wide defaults editors choose."""

    firm_name = models.CharField(max_length=120, help_text="The firm's name as readers see it.")
    freephone = models.CharField(
        max_length=30,
        blank=True,
        help_text="Freephone number for claims as readers should see it, e.g. 0808 157 0123.",
    )
    claims_email = models.EmailField(
        blank=True, help_text="The claims team's public email address."
    )
    privacy_policy_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Linked from the footer and from every form's privacy notice.",
    )
    cookie_policy_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Linked from the footer and the cookie banner.",
    )
    default_callback_form = models.ForeignKey(
        "leads.CallBackForm",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Shown on every page that does not choose its own call-back form.",
    )
    analytics_script_url = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_script_url],
        help_text=(
            "The analytics script to load, as a path on this site (/static/...) or an https:// "
            "address. It runs only for visitors who accept analytics cookies."
        ),
    )
    marketing_script_url = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_script_url],
        help_text=(
            "The marketing or advertising script to load, as a path on this site or an "
            "https:// address. It runs only for visitors who accept marketing cookies."
        ),
    )

    panels = [
        MultiFieldPanel(
            [FieldPanel("firm_name"), FieldPanel("freephone"), FieldPanel("claims_email")],
            heading="The firm",
        ),
        MultiFieldPanel(
            [PageChooserPanel("privacy_policy_page"), PageChooserPanel("cookie_policy_page")],
            heading="Legal pages",
        ),
        FieldPanel("default_callback_form"),
        MultiFieldPanel(
            [FieldPanel("analytics_script_url"), FieldPanel("marketing_script_url")],
            heading="Scripts that need cookie consent",
        ),
    ]

    # One query per request for the settings and the pages they link to.
    select_related = [
        "privacy_policy_page",
        "cookie_policy_page",
        "default_callback_form",
        "default_callback_form__privacy_page",
    ]

    class Meta:
        verbose_name = "site settings"

    def __str__(self):
        return self.firm_name or "Site settings"

    @classmethod
    def for_request_or_none(cls, request):
        """The settings of the request's site, or None when no site matches (e.g. the site's
        root page was deleted): pages outside the page tree must still render."""
        if request is None or Site.find_for_request(request) is None:
            return None
        return cls.for_request(request)

    @property
    def freephone_tel(self):
        """The freephone number as a `tel:` URI in E.164, or '' if it is not a valid number."""
        return _tel_uri(self.freephone)


# Every page shows the number several times (header, footer, call to action, JSON-LD): parsed
# once per process for each text it has had.
@functools.lru_cache(maxsize=16)
def _tel_uri(text):
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return "tel:" + phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
