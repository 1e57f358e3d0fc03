"""A second factor for the Wagtail admin: a six-digit code from an authenticator app (TOTP).

Built on django-otp, which keeps the devices, checks the codes, refuses a code used twice and
slows down guessing (each wrong code doubles the wait before the next is checked). This module
only wires it into Wagtail: the password step stays Wagtail's own login (with django-axes in
front of it); then, before any other admin page, `SecondFactorMiddleware` sends

- a user who has an authenticator to the code page (`verify`), and
- a user who must use one but has none yet to set one up (`enrol`).

Who must: superusers and anyone holding one of `SECOND_FACTOR_REQUIRED_PERMISSIONS` (in this
project, whoever may see leads). Everyone else may set one up from their account page, and
once they have, it is asked for at every sign-in. Why not wagtail-2fa: see
docs/data-protection.md ("Second factor").
"""

from base64 import b32encode

import django_otp
import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.plugins.otp_totp.models import TOTPDevice

DEVICE_NAME = "Authenticator app"

# Pages a signed-in user may reach before the second step: the steps themselves, signing out,
# and what the admin's own sign-in pages load.
OPEN_BEFORE_SECOND_STEP = {
    "wagtailadmin_login",
    "wagtailadmin_logout",
    "wagtailadmin_javascript_catalog",
    "wagtailadmin_sprite",
    "second_factor_verify",
    "second_factor_enrol",
}


def must_use_second_factor(user) -> bool:
    """Superusers, and users who may see personal data (see the setting)."""
    if user.is_superuser:
        return True
    required = getattr(settings, "SECOND_FACTOR_REQUIRED_PERMISSIONS", ())
    return any(user.has_perm(permission) for permission in required)


def confirmed_device(user):
    """The user's authenticator, if set up. One per user: a second phone is a reset away."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


class SecondFactorMiddleware:
    """Holds a signed-in admin user at the code page (or the set-up page) until the session has
    passed the second step. Runs after django-otp's OTPMiddleware, which says whether it has.
    Public pages are left alone: they are the same for everyone and may be cached."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or match.url_name in OPEN_BEFORE_SECOND_STEP:
            return None
        if not request.path_info.startswith(reverse("wagtailadmin_home")):
            return None
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        if confirmed_device(user):
            step = "second_factor_verify"
        elif must_use_second_factor(user):
            step = "second_factor_enrol"
        else:
            return None
        return redirect_to_login(request.get_full_path(), login_url=reverse(step))


class CodeForm(OTPAuthenticationFormMixin, forms.Form):
    """One code, checked against one known device of the signed-in user (django-otp's own
    forms let the user pick a device; ours has exactly one)."""

    otp_token = forms.CharField(
        label="Code from your authenticator app",
        help_text="The app shows a new 6-digit code every 30 seconds.",
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
    otp_error_messages = {
        **OTPAuthenticationFormMixin.otp_error_messages,
        "token_required": "Enter the 6-digit code your authenticator app shows.",
        "invalid_token": (
            "That code is not right. Enter the 6-digit code your authenticator app "
            "shows now (each code works once)."
        ),
    }

    def __init__(self, user, device, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.device = device

    def _chosen_device(self, user):
        return self.device

    def clean_otp_token(self):
        return self.cleaned_data["otp_token"].replace(" ", "")

    def clean(self):
        cleaned_data = super().clean()
        if "otp_token" in cleaned_data:
            self.clean_otp(self.user)
        return cleaned_data


def _next_url(request):
    """Where to go after the second step: the page asked for, if it is on this site."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("wagtailadmin_home")


@sensitive_post_parameters("otp_token")
@never_cache
def verify(request):
    """The second step of signing in: the code from the user's authenticator."""
    device = confirmed_device(request.user)
    if device is None:
        return redirect_to_login(_next_url(request), login_url=reverse("second_factor_enrol"))
    if request.user.is_verified():
        return redirect(_next_url(request))
    form = CodeForm(request.user, device, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        django_otp.login(request, device)
        return redirect(_next_url(request))
    return TemplateResponse(
        request,
        "security/second_factor_verify.html",
        {"form": form, "next": _next_url(request)},
    )


@sensitive_post_parameters("otp_token")
@never_cache
def enrol(request):
    """Set up an authenticator: scan the QR code (or type the key), then prove it with a code."""
    user = request.user
    if confirmed_device(user):
        return TemplateResponse(request, "security/second_factor_enrolled.html", {})
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        # Kept until confirmed, so reloading the page does not change the QR code.
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    form = CodeForm(user, device, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        django_otp.login(request, device)
        return redirect(_next_url(request))
    return TemplateResponse(
        request,
        "security/second_factor_enrol.html",
        {
            "form": form,
            "next": _next_url(request),
            "qr_code": qr_code_svg(device.config_url),
            "key": " ".join(_groups_of_four(b32encode(device.bin_key).decode())),
            "required": must_use_second_factor(user),
        },
    )


def qr_code_svg(text: str) -> str:
    """The QR code as inline SVG markup: drawn by the page itself, so the Content Security
    Policy needs no image source for it and the key never appears in a URL."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=8)
    # qrcode builds the markup itself from the key: nothing the user typed is in it.
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308


def _groups_of_four(key: str):
    return [key[start : start + 4] for start in range(0, len(key), 4)]


def admin_urls():
    """Mounted under the admin by home/wagtail_hooks.py."""
    return [
        path("second-factor/", verify, name="second_factor_verify"),
        path("second-factor/set-up/", enrol, name="second_factor_enrol"),
    ]


def account_menu_item(request):
    """A link on the account page, so anyone may set up a second factor of their own."""
    has_device = confirmed_device(request.user) is not None
    return {
        "url": reverse("second_factor_enrol"),
        "label": "Second factor",
        "help_text": (
            "Your account asks for a code from your authenticator app at sign-in."
            if has_device
            else "Set up an authenticator app, so that signing in needs a code as well as "
            "your password."
        ),
    }
