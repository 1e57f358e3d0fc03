"""Demo data owned by the site shell: the home page, legal pages and the site settings.

Written for a fictional firm. The phone number comes from Ofcom's range reserved for drama.
"""

import datetime
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from wagtail.models import Page, Site

from home.models import HomePage, SiteSettings, StandardPage

ORDER = 20

FIRM_NAME = "Northgate Data Claims"
FREEPHONE = "0808 157 0192"
DEMO_ANALYTICS_SCRIPT = "/static/home/js/demo-analytics.js"

PRIVACY_BODY = [
    ("heading", {"text": "Who we are", "level": "h2"}),
    (
        "paragraph",
        "<p>Northgate Data Claims is a fictional firm used to demonstrate this website. "
        "We are the controller of the personal data you give us through this site.</p>",
    ),
    ("heading", {"text": "What we collect when you ask for a call back", "level": "h2"}),
    (
        "paragraph",
        "<p>Your name, phone number, email address and the time you would like us to call. "
        "We also keep the page you were reading and, if you arrived from a link, the campaign "
        "it belonged to. We do not keep your IP address; we keep a one-way fingerprint of it "
        "to stop abuse.</p>",
    ),
    ("heading", {"text": "Why, and for how long", "level": "h2"}),
    (
        "paragraph",
        "<p>We use these details only to call you back about a possible claim. Requests that "
        "do not become a claim are deleted after two years, or sooner if you ask.</p>",
    ),
    ("heading", {"text": "Your rights", "level": "h2"}),
    (
        "paragraph",
        "<p>You can ask for a copy of what we hold about you, ask us to correct it or to erase "
        "it, and complain to the Information Commissioner's Office.</p>",
    ),
]

COOKIE_BODY = [
    ("heading", {"text": "Cookies we always use", "level": "h2"}),
    (
        "paragraph",
        "<p>A few cookies are needed for the site to work: one remembers your cookie choices, "
        "one protects forms against misuse. They hold nothing that identifies you.</p>",
    ),
    ("heading", {"text": "Cookies we ask you about", "level": "h2"}),
    (
        "paragraph",
        "<p>Analytics and marketing cookies are set only if you accept them. You can change your "
        "mind at any time from the cookie settings link at the foot of every page.</p>",
    ),
]

ABOUT_BODY = [
    (
        "paragraph",
        "<p>We help people whose personal data has been lost, leaked or misused to understand "
        "what happened and whether they can claim compensation. Advice is free and there is no "
        "obligation to go ahead.</p>",
    ),
]


def _home_page():
    home = HomePage.objects.first()
    if home:
        return home
    root = Page.get_first_root_node()
    # Wagtail's migrations leave a welcome page holding the slug "home" as the site root.
    welcome = Page.objects.filter(depth=2, slug="home").first()
    if welcome:
        welcome.slug = "wagtail-welcome"
        welcome.save(update_fields=["slug"])
    home = HomePage(
        title="Home",
        slug="home",
        hero_heading="Has your personal data been leaked, lost or misused?",
        hero_text=(
            "We help people across the UK claim compensation for data breaches. "
            "Free, no-obligation advice from a specialist team."
        ),
        intro=(
            "<p>When an organisation fails to protect your personal information, the law says "
            "it can be held to account. Read how breaches happen, then ask us to call you back "
            "when it suits you.</p>"
        ),
        seo_title="Data breach compensation claims",
        search_description=(
            "Specialist help for people affected by data breaches in the UK: case studies, "
            "free advice and a call back when it suits you."
        ),
    )
    root.add_child(instance=home)
    home.save_revision().publish()
    # The demo site answers on the address the admin is configured for, so canonical
    # URLs, the sitemap and the feed point where the newcomer is browsing.
    base = urlsplit(settings.WAGTAILADMIN_BASE_URL)
    port = base.port or (443 if base.scheme == "https" else 80)
    site = Site.objects.filter(is_default_site=True).first() or Site(is_default_site=True)
    site.hostname = base.hostname or "localhost"
    site.port = port
    site.root_page = home
    site.site_name = FIRM_NAME
    site.save()
    if welcome:
        welcome.delete()
    return HomePage.objects.get(pk=home.pk)


def _standard_page(parent, slug, title, intro, body, show_in_menus=False):
    page = StandardPage.objects.child_of(parent).filter(slug=slug).first()
    if page:
        return page
    page = StandardPage(
        title=title,
        slug=slug,
        intro=intro,
        search_description=intro,
        body=body,
        last_reviewed=datetime.date(2026, 11, 1),
        show_in_menus=show_in_menus,
    )
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def load(stdout):
    home = _home_page()
    about = _standard_page(
        home,
        "about",
        "About us",
        "Who we are and how we help people affected by data breaches.",
        ABOUT_BODY,
        show_in_menus=True,
    )
    privacy = _standard_page(
        home,
        "privacy-policy",
        "Privacy Policy",
        "How we collect, use and protect the personal data you give us.",
        PRIVACY_BODY,
    )
    cookie_policy = _standard_page(
        home,
        "cookie-policy",
        "Cookie Policy",
        "Which cookies this site uses, why, and how to change your choices.",
        COOKIE_BODY,
    )

    site = Site.objects.get(root_page=home)
    site_settings = SiteSettings.for_site(site)
    site_settings.firm_name = FIRM_NAME
    site_settings.freephone = FREEPHONE
    site_settings.claims_email = "claims@northgate-data-claims.example"
    site_settings.privacy_policy_page = privacy
    site_settings.cookie_policy_page = cookie_policy
    # The analytics demo: a local script that only runs after a visitor accepts analytics.
    if not site_settings.analytics_script_url:
        site_settings.analytics_script_url = DEMO_ANALYTICS_SCRIPT
    # The leads app loads its demo first; refer to it by name, not by import.
    callback_form_model = apps.get_model("leads", "CallBackForm")
    default_form = callback_form_model.objects.order_by("pk").first()
    if default_form and site_settings.default_callback_form_id is None:
        site_settings.default_callback_form = default_form
    site_settings.save()
    if default_form and default_form.privacy_page_id is None:
        default_form.privacy_page = privacy
        default_form.save(update_fields=["privacy_page"])
    stdout.write(
        f"Site shell ready: {home.title}, {about.title}, {privacy.title}, {cookie_policy.title}"
    )
