"""Reading deployment configuration from the environment, in one place.

Settings modules call these helpers so every variable is parsed the same way and a
malformed value fails at start-up with a message naming the variable.
"""

import os
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def env_list(name, default=()):
    """A comma-separated variable as a list, blanks dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def email_settings_from_url(url):
    """Django EMAIL_* settings from an ``EMAIL_URL`` such as
    ``smtp+tls://user:pass@mail.example.com:587`` or ``console://``."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    backends = {
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtp+tls": "django.core.mail.backends.smtp.EmailBackend",
        "smtps": "django.core.mail.backends.smtp.EmailBackend",
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
    }
    if scheme not in backends:
        raise ImproperlyConfigured(
            f"EMAIL_URL scheme {scheme!r} is not one of {', '.join(sorted(backends))}."
        )
    options = parse_qs(parts.query)
    result = {"EMAIL_BACKEND": backends[scheme]}
    if scheme.startswith("smtp"):
        result.update(
            EMAIL_HOST=parts.hostname or "localhost",
            EMAIL_PORT=parts.port
            or (465 if scheme == "smtps" else 587 if scheme == "smtp+tls" else 25),
            EMAIL_HOST_USER=unquote(parts.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
            EMAIL_USE_TLS=scheme == "smtp+tls",
            EMAIL_USE_SSL=scheme == "smtps",
            EMAIL_TIMEOUT=int(options.get("timeout", ["10"])[0]),
        )
    return result
