"""Response headers and login protection that every request goes through.

Wired in cms/settings/base.py: the middleware classes in MIDDLEWARE, `client_ip` and
`lockout_response` as django-axes callables.
"""

from csp.middleware import CSPMiddleware, PolicyParts
from csp.utils import default_config
from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import render
from django.utils import timezone


class PathPolicyCSPMiddleware(CSPMiddleware):
    """Sends the strict public Content-Security-Policy everywhere except the Wagtail admin.

    Why two policies: public pages may be cached whole (headers included), and a nonce is new
    on every response, so a cached page would carry a nonce that no longer matches its header,
    or worse, a header whose nonce an attacker has seen. The public site therefore uses no
    inline script or style at all and its header carries no nonce (`CONTENT_SECURITY_POLICY`
    holds no NONCE), so header and body can be cached together. The admin is never cached
    and its own templates use inline styles and scripts, so it gets
    `CONTENT_SECURITY_POLICY_ADMIN` (see base settings for why it allows inline code).
    `request.csp_nonce` stays available: a policy that names NONCE gets it in its header.
    """

    def get_policy_parts(
        self, request: HttpRequest, response, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and parts.config is None and uses_admin_policy(request):
            admin_policy = getattr(settings, "CONTENT_SECURITY_POLICY_ADMIN", None)
            if admin_policy:
                parts.config = default_config(admin_policy["DIRECTIVES"])
        return parts


def uses_admin_policy(request: HttpRequest) -> bool:
    """The admin's own URLs, and the previews it renders: Wagtail runs a preview as a dummy
    request for the page's public URL through the whole middleware stack, and the admin's
    preview panel then frames that response."""
    if getattr(request, "is_dummy", False) or getattr(request, "is_preview", False):
        return True
    prefixes = tuple(getattr(settings, "CSP_ADMIN_URL_PREFIXES", ("/admin/",)))
    return request.path_info.startswith(prefixes)


class PermissionsPolicyMiddleware:
    """Switches off browser features the site never uses (camera, geolocation, payment...),
    so a script that slipped in could not use them either. Django has a setting for every
    other security header but not this one."""

    def __init__(self, get_response):
        self.get_response = get_response
        features = getattr(settings, "PERMISSIONS_POLICY", {})
        self.header = ", ".join(
            f"{name}=({' '.join(allow)})" for name, allow in sorted(features.items())
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


def client_ip(request: HttpRequest) -> str:
    """The address of the client for per-client login limits.

    Behind `TRUSTED_PROXY_COUNT` reverse proxies the client is the address that the outermost
    trusted proxy appended to X-Forwarded-For; anything further left was written by the client
    and cannot be trusted. Without proxies, REMOTE_ADDR.
    """
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """The page shown while sign-in is locked: says what happened and when to try again,
    without saying whether the account exists."""
    cool_off = getattr(settings, "AXES_COOLOFF_TIME", None)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else None
    # Rendered here: axes returns it from middleware, after the template-response phase.
    return render(
        request,
        "security/login_locked.html",
        {
            "minutes": minutes,
            "retry_at": timezone.localtime() + cool_off if cool_off else None,
        },
        status=getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429),
    )
