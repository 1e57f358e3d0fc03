"""Signing staff in past the admin's second factor, the way a person with the app would."""

import re

import django_otp
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def give_authenticator(user):
    """The user's confirmed authenticator (one per user), made if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def code(device, steps_ahead=0):
    """The code the app shows now, or `steps_ahead` 30-second steps later. django-otp accepts
    one step ahead (clock drift) and never the same step twice, so a test that signs in twice
    within 30 seconds uses the next step the second time."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, drift=steps_ahead):06d}"


def sign_in_with_second_factor(client, user):
    """force_login plus what the code page records once the code is right."""
    device = give_authenticator(user)
    client.force_login(user)
    session = client.session
    session[django_otp.DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def enter_code(page, device, steps_ahead=0):
    """In the browser, on the code page (or the set-up page): type the code and go on."""
    page.get_by_label("Code from your authenticator app").fill(code(device, steps_ahead))
    page.get_by_role("button", name=re.compile("^(Continue|Turn on the second factor)$")).click()
