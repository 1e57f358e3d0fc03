"""The call-back form's defences that work on a publicly cached page.

A cached page cannot carry a per-visitor CSRF token, so the form carries a signed token that
is the same for everyone who gets that copy of the page, and the submit view checks instead
that the request comes from our own origin and is not too fast (leads/limits.py counts how
many come from one address).
"""

import ipaddress
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core import signing
from django.utils.crypto import salted_hmac
from ipware import get_client_ip

from leads import conf

TOKEN_SALT = "leads.callback.token"  # noqa: S105 - a signing salt, not a secret


@dataclass(frozen=True)
class FormToken:
    """What the page told the form when it was rendered: trusted because it is signed."""

    page_id: int | None
    form_id: int | None
    rendered_at: float
    notice_version: str
    page_title: str
    page_url: str

    @property
    def age(self):
        return time.time() - self.rendered_at


class TokenExpired(Exception):
    """The page was rendered too long ago; the reader should send the form again."""

    def __init__(self, token):
        super().__init__("expired")
        self.token = token


class TokenInvalid(Exception):
    """The token is missing, malformed or not signed by us."""


def make_token(page, form_snippet, rendered_at=None, request=None):
    payload = {
        "p": page.pk if page is not None else None,
        "f": form_snippet.pk if form_snippet is not None else None,
        "t": int(rendered_at if rendered_at is not None else time.time()),
        "v": form_snippet.privacy_notice_version if form_snippet is not None else "",
        # Kept so a lead still says where it came from if the page is deleted meanwhile.
        "n": (page.title[:255] if page is not None else ""),
        "u": ((page.get_url(request=request) or "")[:500] if page is not None else ""),
    }
    return signing.dumps(payload, salt=TOKEN_SALT, compress=True)


def read_token(value):
    if not value or len(value) > 2000:
        raise TokenInvalid
    max_age = conf.LEADS_FORM_MAX_AGE
    try:
        data = signing.loads(value, salt=TOKEN_SALT, max_age=max_age)
    except signing.SignatureExpired:
        # Genuinely ours, just old: say which page it was so the form can be shown again.
        raise TokenExpired(_parse(signing.loads(value, salt=TOKEN_SALT))) from None
    except signing.BadSignature:
        raise TokenInvalid from None
    return _parse(data)


def _parse(data):
    if not isinstance(data, dict):
        raise TokenInvalid
    try:
        return FormToken(
            page_id=int(data["p"]) if data.get("p") is not None else None,
            form_id=int(data["f"]) if data.get("f") is not None else None,
            rendered_at=float(data["t"]),
            notice_version=str(data.get("v", ""))[:64],
            page_title=str(data.get("n", ""))[:255],
            page_url=str(data.get("u", ""))[:500],
        )
    except (KeyError, TypeError, ValueError):
        raise TokenInvalid from None


def client_ip(request):
    """The client's address, as django-ipware finds it behind TRUSTED_PROXY_COUNT proxies
    (cms/settings/base.py); REMOTE_ADDR when the header is shorter than our proxies write."""
    ip, _routable = get_client_ip(request)
    return ip or request.META.get("REMOTE_ADDR", "")


def client_network(ip):
    """The address as the limits count it: an IPv4 address, or an IPv6 client's /64 (one
    household, phone or office is given a whole /64 and may use any address in it)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def ip_hmac(request):
    """A keyed hash of the client's network (`client_network`): enough to count and group,
    useless to identify."""
    ip = client_ip(request)
    if not ip:
        return ""
    return salted_hmac("leads.ip", client_network(ip), algorithm="sha256").hexdigest()


def cross_site_reason(request):
    """Why this POST looks as if another site sent it, or None when it is our own page's."""
    fetch_site = request.META.get("HTTP_SEC_FETCH_SITE")
    if fetch_site:
        # Browsers that send it are authoritative; "none" is the reader's own action.
        if fetch_site in ("same-origin", "none"):
            return None
        return "The form was sent from another website."
    host = request.get_host()
    origin = request.META.get("HTTP_ORIGIN")
    if origin and origin != "null":
        if urlsplit(origin).netloc != host:
            return "The form was sent from another website."
        return None
    referer = request.META.get("HTTP_REFERER")
    if referer and urlsplit(referer).netloc != host:
        return "The form was sent from another website."
    # Neither header: some privacy tools strip both. The signed token and rate limit still apply.
    return None


def duplicate_key(email, phone):
    digest = salted_hmac("leads.duplicate", f"{email.lower()}|{phone}", algorithm="sha256")
    return f"leads:dup:{digest.hexdigest()}"
