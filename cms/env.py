"""Reading deployment configuration from the environment, in one place.

Settings modules call these helpers so every variable is parsed the same way and a
malformed value fails at start-up with a message naming the variable. Each helper reads
``os.environ`` unless given another mapping (``environ=``), so tests can try combinations
without touching the process environment.
"""

import ipaddress
import os
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name, default="", environ=None):
    return (os.environ if environ is None else environ).get(name, default)


def env_bool(name, default=False, environ=None):
    raw = (os.environ if environ is None else environ).get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name, default, environ=None):
    raw = (os.environ if environ is None else environ).get(name)
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


def webhook_from_env(environ=None):
    """(LEADS_WEBHOOK_URL, LEADS_WEBHOOK_SECRET): the claims system's address, http(s) only,
    and the secret its hand-offs are signed with, required with an address. Both empty: no
    hand-off."""
    environ = os.environ if environ is None else environ
    url = environ.get("LEADS_WEBHOOK_URL", "").strip()
    secret = environ.get("LEADS_WEBHOOK_SECRET", "").strip()
    if not url:
        return "", secret
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise ImproperlyConfigured(f"LEADS_WEBHOOK_URL is not a valid address: {url!r}.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(
            f"LEADS_WEBHOOK_URL must be an http:// or https:// address, not {url!r}."
        )
    if not secret:
        raise ImproperlyConfigured("LEADS_WEBHOOK_URL is set: LEADS_WEBHOOK_SECRET must be too.")
    return url, secret


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


# Where uploaded media lives when no bucket is named: MEDIA_ROOT on this server's disk.
LOCAL_MEDIA_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def media_storage_from_env(environ=None):
    """``STORAGES["default"]`` for uploaded images and documents.

    ``AWS_STORAGE_BUCKET_NAME`` set: an S3-compatible bucket (cms.storage.MediaStorage), so
    every app server reads and writes the same media. Unset: local disk, as before. Access
    keys are deliberately not read here: boto3 takes ``AWS_ACCESS_KEY_ID`` and
    ``AWS_SECRET_ACCESS_KEY`` (or an instance role) from the environment itself, so they
    never appear in Django settings.
    """
    environ = os.environ if environ is None else environ
    bucket = env_str("AWS_STORAGE_BUCKET_NAME", environ=environ).strip()
    if not bucket:
        return dict(LOCAL_MEDIA_STORAGE)
    endpoint_url = env_str("AWS_S3_ENDPOINT_URL", environ=environ).strip().rstrip("/")
    if endpoint_url and urlsplit(endpoint_url).scheme not in ("http", "https"):
        raise ImproperlyConfigured(
            f"AWS_S3_ENDPOINT_URL must start with https:// (or http:// for a local server), "
            f"not {endpoint_url!r}."
        )
    custom_domain = env_str("AWS_S3_CUSTOM_DOMAIN", environ=environ).strip().rstrip("/")
    if "://" in custom_domain:
        raise ImproperlyConfigured(
            f"AWS_S3_CUSTOM_DOMAIN is a host name such as media.example.co.uk, without "
            f"https://, not {custom_domain!r}."
        )
    if bool(env_str("AWS_ACCESS_KEY_ID", environ=environ)) != bool(
        env_str("AWS_SECRET_ACCESS_KEY", environ=environ)
    ):
        raise ImproperlyConfigured(
            "Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (to use the "
            "server's instance role)."
        )
    return {
        "BACKEND": "cms.storage.MediaStorage",
        "OPTIONS": {
            "bucket_name": bucket,
            "region_name": env_str("AWS_S3_REGION_NAME", environ=environ).strip() or None,
            "endpoint_url": endpoint_url or None,
            # Other S3-compatible services (MinIO, Ceph) often have no per-bucket host names.
            "addressing_style": "path" if endpoint_url else None,
            "signature_version": "s3v4",
            "custom_domain": custom_domain or None,
            # Objects get no ACL of their own: the bucket's policy decides who may read
            # them, and by default nobody may without a signed URL.
            "default_acl": None,
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", True, environ=environ),
            "querystring_expire": env_int("AWS_QUERYSTRING_EXPIRE", 3600, environ=environ),
            # A second upload named like the first gets a new name, never replaces the first.
            "file_overwrite": False,
        },
    }


def media_origin(storage):
    """The origin media URLs point at, for the Content-Security-Policy's img-src; None when
    media is served from our own origin (local disk)."""
    options = storage.get("OPTIONS", {})
    if "bucket_name" not in options:
        return None
    if options.get("custom_domain"):
        return f"https://{options['custom_domain']}"
    if options.get("endpoint_url"):
        parts = urlsplit(options["endpoint_url"])
        return f"{parts.scheme}://{parts.netloc}"
    # Amazon S3 itself: boto3 signs virtual-hosted URLs on the global host name.
    return f"https://{options['bucket_name']}.s3.amazonaws.com"


def media_urls_expire(storage):
    """Whether media URLs are signed and so stop working after AWS_QUERYSTRING_EXPIRE seconds
    (a CDN's custom domain gets plain URLs)."""
    options = storage.get("OPTIONS", {})
    return bool(options.get("querystring_auth") and not options.get("custom_domain"))


def client_address_settings(trusted_proxy_count):
    """django-ipware's header order and proxy count for `trusted_proxy_count` reverse proxies
    that each append the address they saw to X-Forwarded-For.

    Without proxies the header is whatever the client wrote, so only REMOTE_ADDR counts. With
    N proxies the client is the N-th address from the right of X-Forwarded-For: ipware counts
    the proxies written into the header, which is one fewer (the last proxy's own address is
    REMOTE_ADDR). Anything further left was written by the client and is never trusted.
    """
    if trusted_proxy_count < 0:
        raise ImproperlyConfigured("TRUSTED_PROXY_COUNT cannot be negative.")
    if not trusted_proxy_count:
        return ("REMOTE_ADDR",), None
    return ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"), trusted_proxy_count - 1


def env_networks(name, default=(), environ=None):
    """A comma-separated list of addresses or CIDR networks (``10.0.0.0/8, ::1``), checked at
    start-up so a typo fails with the variable's name rather than on the first request."""
    raw = (os.environ if environ is None else environ).get(name)
    items = list(default) if raw is None else [i.strip() for i in raw.split(",") if i.strip()]
    networks = []
    for item in items:
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list addresses or networks such as 10.0.0.0/8, not {item!r}."
            ) from None
    return networks


def frontend_cache_from_env(environ=None):
    """``WAGTAILFRONTENDCACHE`` from ``FRONTEND_CACHE_URL``: the caches in front of the app
    servers that purges must reach (docs/scaling.md, "The edge tier"). Empty: none.

    A comma-separated list of ``http://host:port`` (Varnish or any cache taking HTTP PURGE),
    ``cloudflare://<zone id>`` (the API token from ``CLOUDFLARE_API_TOKEN``) and
    ``cloudfront://<distribution id>`` (boto3 finds the AWS keys or role itself).
    """
    environ = os.environ if environ is None else environ
    backends = {}
    for url in env_str("FRONTEND_CACHE_URL", environ=environ).split(","):
        url = url.strip()
        if not url:
            continue
        parts = urlsplit(url)
        scheme, target = parts.scheme.lower(), parts.netloc
        if scheme in ("http", "https") and target:
            config = {
                "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
                "LOCATION": f"{scheme}://{target}",
            }
        elif scheme == "cloudflare" and target:
            token = env_str("CLOUDFLARE_API_TOKEN", environ=environ).strip()
            if not token:
                raise ImproperlyConfigured(
                    "FRONTEND_CACHE_URL names Cloudflare: set CLOUDFLARE_API_TOKEN to a token "
                    "that may purge the zone's cache."
                )
            config = {
                "BACKEND": "wagtail.contrib.frontend_cache.backends.CloudflareBackend",
                "ZONEID": target,
                "BEARER_TOKEN": token,
            }
        elif scheme == "cloudfront" and target:
            config = {
                "BACKEND": "wagtail.contrib.frontend_cache.backends.CloudfrontBackend",
                "DISTRIBUTION_ID": target,
            }
        else:
            raise ImproperlyConfigured(
                "FRONTEND_CACHE_URL lists http://host:port, cloudflare://<zone id> or "
                f"cloudfront://<distribution id>, not {url!r}."
            )
        backends[f"{scheme}-{len(backends)}"] = config
    return backends
