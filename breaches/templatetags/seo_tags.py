"""The SEO head every page carries: description, canonical URL, social cards and JSON-LD."""

import functools
import json
import unicodedata

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html, strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from wagtail.images.models import Filter
from wagtail.models import Site

from breaches.models import BreachCaseStudyPage
from home.models import SiteSettings
from home.templatetags.page_urls import full_page_url

register = template.Library()

SOCIAL_IMAGE_SPEC = "fill-1200x630|format-jpeg"


@functools.cache
def social_image_filter():
    """The social image's Filter, parsed once per process (on first use, once Wagtail's image
    operations are registered): given the spec as text, get_renditions builds a Filter and
    parses its operations (through signature inspection) on every page."""
    image_filter = Filter(spec=SOCIAL_IMAGE_SPEC)
    image_filter.operations  # noqa: B018 - parsed now, kept with the Filter
    return image_filter


# The characters that could end a <script> element or start an HTML comment, as JSON escapes:
# the same treatment Django's json_script filter gives, for a script of another type.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def json_ld_script(data):
    """A `<script type="application/ld+json">` element whose content cannot break out of it."""
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(
        _JSON_SCRIPT_ESCAPES
    )
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


def truncated_chars(value, length):
    """Truncator(value).chars(length): the text NFC-normalised, cut with an ellipsis if longer.

    A text no longer than `length` once normalised comes back whole, without Truncator's walk
    over every character (a description is up to 300 of them, on every page)."""
    text = unicodedata.normalize("NFC", str(value))
    if len(text) <= length:
        return text
    return Truncator(text).chars(length)


def _description(page, site_settings):
    for attribute in ("search_description", "summary", "hero_text"):
        value = getattr(page, attribute, "") if page else ""
        if value:
            return truncated_chars(value, 300)
    intro = getattr(page, "intro", "") if page else ""
    if intro:
        text = strip_tags(str(intro)).strip()
        if text:
            return truncated_chars(" ".join(text.split()), 300)
    firm = site_settings.firm_name if site_settings else ""
    return f"{firm}: help and advice for people affected by data breaches.".lstrip(": ")


def _absolute(request, url):
    return request.build_absolute_uri(url) if request else url


def legal_service(request, site_settings, page):
    data = {
        "@context": "https://schema.org",
        "@type": "LegalService",
        "name": site_settings.firm_name,
        "url": full_page_url(page, request) if page else _absolute(request, "/"),
        "areaServed": {"@type": "Country", "name": "United Kingdom"},
        "description": _description(page, site_settings),
    }
    if site_settings.freephone_tel:
        data["telephone"] = site_settings.freephone_tel.removeprefix("tel:")
    if site_settings.claims_email:
        data["email"] = site_settings.claims_email
    return data


def case_study_json_ld(page, request, site_settings=None, image=None):
    """A case study for search engines: the Article and where it sits in the site."""
    firm = {"@type": "Organization", "name": site_settings.firm_name} if site_settings else None
    url = full_page_url(page, request)
    article = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": page.seo_title or page.title,
        "description": page.search_description or page.summary,
        "datePublished": page.published_date.isoformat(),
        "mainEntityOfPage": url,
        "url": url,
        "about": {"@type": "Organization", "name": page.organisation},
        "keywords": [breach_type.name for breach_type in page.breach_type_list],
    }
    if page.last_published_at:
        article["dateModified"] = page.last_published_at.isoformat()
    if firm:
        article["author"] = firm
        article["publisher"] = firm
    if image:
        article["image"] = [image["url"]]
    breadcrumbs = {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": position,
                "name": "Home" if position == 1 else crumb.title,
                "item": full_page_url(crumb, request),
            }
            for position, crumb in enumerate(page.get_breadcrumbs(request), start=1)
        ],
    }
    return [article, breadcrumbs]


@register.simple_tag(takes_context=True)
def seo_meta(context):
    """Everything the head needs, worked out once: see templates/includes/seo_head.html."""
    request = context.get("request")
    page = context.get("page")
    site_settings = SiteSettings.for_request_or_none(request)
    title = ""
    if page is not None:
        title = getattr(page, "seo_title", "") or getattr(page, "title", "")
    canonical = context.get("canonical_url") or (full_page_url(page, request) if page else "")

    image = None
    image_source = context.get("hero_image") or getattr(page, "hero_image", None)
    if image_source is not None:
        # get_renditions, not get_rendition: the latter writes the rendition to the cache on
        # every call, even one it found among the image's prefetched renditions.
        rendition = image_source.get_renditions(social_image_filter())[SOCIAL_IMAGE_SPEC]
        image = {
            "url": _absolute(request, rendition.url),
            "width": rendition.width,
            "height": rendition.height,
            "alt": image_source.default_alt_text,
        }

    json_ld = []
    is_case_study = isinstance(page, BreachCaseStudyPage)
    if is_case_study:
        json_ld = case_study_json_ld(page, request, site_settings=site_settings, image=image)
    elif page is not None and request is not None and site_settings and site_settings.firm_name:
        site = Site.find_for_request(request)
        if site and site.root_page_id == page.pk:
            json_ld = [legal_service(request, site_settings, page)]

    return {
        "title": title,
        "description": _description(page, site_settings),
        "canonical": canonical,
        "site_name": site_settings.firm_name if site_settings else "",
        "og_type": "article" if is_case_study else "website",
        "image": image,
        "json_ld": mark_safe("".join(json_ld_script(item) for item in json_ld)),  # noqa: S308
    }
