"""Standard Webhooks (standardwebhooks.com) for the hand-off to the claims system: the
signature, its check, the endpoint address rules, and one POST.

Nothing here knows about leads; leads/handoff.py decides what is sent and when.

The secret: `whsec_<base64>` is the convention of the Standard Webhooks libraries, whose key
is the decoded bytes; any other value is a plain secret whose key is its UTF-8 bytes (what a
receiver computing HMAC-SHA256 by hand with the same string expects). docs/handoff.md says so
to the receiving team.
"""

import base64
import binascii
import hashlib
import hmac
import http.client
import ssl
import time
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

SECRET_PREFIX = "whsec_"  # noqa: S105 - the convention's prefix, not a secret
# How far a receiver may trust a timestamp (the convention's five minutes): the check below
# uses it, and docs/handoff.md tells receivers to.
TOLERANCE_SECONDS = 300
# What is read of a receiver's answer: its status is what matters, the body is not kept.
RESPONSE_READ_LIMIT = 2048


class SignatureError(ValueError):
    """A request's webhook headers do not prove it came from the holder of the secret."""


def signing_key(secret):
    """The HMAC key a secret stands for (see the module's docstring)."""
    if not secret:
        raise ValueError("The webhook secret is empty.")
    if secret.startswith(SECRET_PREFIX):
        encoded = secret[len(SECRET_PREFIX) :]
        try:
            key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except binascii.Error:
            raise ValueError("A whsec_ secret must be base64 after the prefix.") from None
        if not key:
            raise ValueError("The webhook secret is empty.")
        return key
    return secret.encode()


def sign(secret, msg_id, timestamp, body):
    """`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` (body as the bytes sent)."""
    signed = f"{msg_id}.{int(timestamp)}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret, msg_id, body, timestamp=None):
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def verify(secret, headers, body, now=None, tolerance=TOLERANCE_SECONDS):
    """Returns the webhook-id when the headers sign `body` with `secret` at a time within the
    tolerance of `now`; raises SignatureError otherwise. What a receiver does."""
    headers = {name.lower(): value for name, value in headers.items()}
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (msg_id and stamp and signatures):
        raise SignatureError("Missing webhook-id, webhook-timestamp or webhook-signature.")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise SignatureError("webhook-timestamp is not a whole number of seconds.") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise SignatureError("webhook-timestamp is too far from now.")
    expected = sign(secret, msg_id, timestamp, body).encode()
    # Several space-separated signatures may be sent while a secret is rotated.
    for candidate in signatures.split():
        if hmac.compare_digest(candidate.encode(), expected):
            return msg_id
    raise SignatureError("No signature matches.")


def check_url(url):
    """Raises ValidationError unless the address is http(s) with a host: the only kind of
    address a hand-off is ever sent to (no file:, gopher: or other scheme reaches the
    network from here)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise ValidationError("Not a valid address.") from None
    if parts.scheme not in ("http", "https"):
        raise ValidationError("The address must start with https:// (or http://).")
    if not parts.hostname:
        raise ValidationError("The address must name a host.")


def check_secret(secret):
    """Raises ValidationError unless the secret can sign (see the module's docstring)."""
    try:
        signing_key(secret)
    except ValueError as error:
        raise ValidationError(str(error)) from None


def post(url, body, headers, timeout):
    """POSTs the body and returns the HTTP status; raises OSError (which includes timeouts,
    refused connections and TLS failures) when no answer came back.

    Redirects are not followed (a 3xx is returned as it is), proxies from the environment are
    not used, and certificates are verified."""
    check_url(url)
    parts = urlsplit(url)
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "leads-handoff/1",
                **headers,
            },
        )
        response = connection.getresponse()
        response.read(RESPONSE_READ_LIMIT)
        return response.status
    except http.client.HTTPException as error:
        # A malformed answer counts as no answer: the receiver may not have stored it.
        raise OSError(f"Bad HTTP answer: {type(error).__name__}") from error
    finally:
        connection.close()
