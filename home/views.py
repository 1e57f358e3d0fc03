from datetime import UTC, timedelta

from django.conf import settings
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from home.models import SiteSettings
from home.page_cache import reads_query


@require_GET
@reads_query()
@cache_control(max_age=86400, public=True)
def robots_txt(request):
    """Keeps crawlers out of the admin and search results, and points them at the sitemap."""
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /search/",
        "Disallow: /cookies/",
        "",
        f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_GET
@reads_query()
@cache_control(max_age=86400, public=True)
def security_txt(request):
    """RFC 9116: tells a security researcher where to report a vulnerability.

    Contact comes from SECURITY_CONTACT (URIs), else the site's claims email, which at least
    reaches the firm; with neither there is nothing honest to publish, so 404. The file is
    built from live settings, so a rolling expiry half a year ahead is always true and stays
    inside the RFC's advice of less than a year.
    """
    contacts = list(settings.SECURITY_CONTACT)
    if not contacts:
        claims_email = SiteSettings.for_request(request).claims_email
        if claims_email:
            contacts = [f"mailto:{claims_email}"]
    if not contacts:
        raise Http404("No security contact is configured.")
    today = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    expires = today + timedelta(days=settings.SECURITY_TXT_VALID_DAYS)
    lines = [f"Contact: {contact}" for contact in contacts]
    lines += [
        f"Expires: {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "Preferred-Languages: en",
        f"Canonical: {request.build_absolute_uri(reverse('security_txt'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
