"""Sign-in lockout wiring for django-axes: the page shown while sign-in is locked, named by
AXES_LOCKOUT_CALLABLE in cms/settings/base.py. Axes finds the client's address through
django-ipware, configured there from TRUSTED_PROXY_COUNT.
"""

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import render
from django.utils import timezone


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
