"""Sign-in lockout wiring for django-axes: which address a client signs in from, and the page
shown while sign-in is locked. Named by AXES_CLIENT_IP_CALLABLE and AXES_LOCKOUT_CALLABLE in
cms/settings/base.py.
"""

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import render
from django.utils import timezone


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
