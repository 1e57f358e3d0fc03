"""The Standard Webhooks signature the hand-off carries: the convention's published test
vector, agreement with the convention's own Python library, and what a receiver's check
refuses."""

import base64
import os
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from standardwebhooks.webhooks import Webhook

from cms.env import webhook_from_env
from leads import webhooks

# Published with the Standard Webhooks libraries' tests.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_published_vector():
    signature = webhooks.sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY)
    assert signature == VECTOR_SIGNATURE


def test_the_published_vector_verifies_at_its_time_and_not_years_later():
    headers = {
        "Webhook-Id": VECTOR_ID,
        "Webhook-Timestamp": str(VECTOR_TIMESTAMP),
        "Webhook-Signature": VECTOR_SIGNATURE,
    }
    assert webhooks.verify(VECTOR_SECRET, headers, VECTOR_BODY, now=VECTOR_TIMESTAMP + 10)
    with pytest.raises(webhooks.SignatureError, match="too far"):
        webhooks.verify(VECTOR_SECRET, headers, VECTOR_BODY)


@pytest.mark.parametrize("size", [1, 24, 32, 64])
def test_the_standard_library_accepts_what_we_sign(size):
    secret = "whsec_" + base64.b64encode(os.urandom(size)).decode()
    body = '{"lead":{"full_name":"Zoë Ł"}}'.encode()
    headers = webhooks.signed_headers(secret, "msg_abc", body)
    assert Webhook(secret).verify(body, headers) == {"lead": {"full_name": "Zoë Ł"}}


def test_a_plain_secret_is_its_utf8_bytes():
    # The same key as whsec_ with the base64 of those bytes.
    plain = "correct horse battery staple"
    prefixed = "whsec_" + base64.b64encode(plain.encode()).decode()
    assert webhooks.sign(plain, "msg_1", 1700000000, b"{}") == webhooks.sign(
        prefixed, "msg_1", 1700000000, b"{}"
    )
    assert webhooks.signing_key(plain) == plain.encode()


class TestWhatTheCheckRefuses:
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    body = b'{"a":1}'

    def headers(self, **changes):
        headers = webhooks.signed_headers(self.secret, "msg_1", self.body, timestamp=1_000_000)
        headers.update(changes)
        return headers

    def test_a_good_request(self):
        assert webhooks.verify(self.secret, self.headers(), self.body, now=1_000_100) == "msg_1"

    def test_a_changed_body(self):
        with pytest.raises(webhooks.SignatureError, match="No signature"):
            webhooks.verify(self.secret, self.headers(), b'{"a":2}', now=1_000_000)

    def test_another_id_or_time_with_the_same_signature(self):
        with pytest.raises(webhooks.SignatureError):
            webhooks.verify(
                self.secret, self.headers(**{"webhook-id": "msg_2"}), self.body, now=1_000_000
            )
        with pytest.raises(webhooks.SignatureError):
            webhooks.verify(
                self.secret,
                self.headers(**{"webhook-timestamp": "1000001"}),
                self.body,
                now=1_000_000,
            )

    def test_another_secret(self):
        other = "whsec_" + base64.b64encode(b"j" * 32).decode()
        with pytest.raises(webhooks.SignatureError):
            webhooks.verify(other, self.headers(), self.body, now=1_000_000)

    def test_outside_five_minutes_either_way(self):
        with pytest.raises(webhooks.SignatureError, match="too far"):
            webhooks.verify(self.secret, self.headers(), self.body, now=1_000_301)
        with pytest.raises(webhooks.SignatureError, match="too far"):
            webhooks.verify(self.secret, self.headers(), self.body, now=999_699)

    def test_missing_or_malformed_headers(self):
        headers = self.headers()
        del headers["webhook-signature"]
        with pytest.raises(webhooks.SignatureError, match="Missing"):
            webhooks.verify(self.secret, headers, self.body, now=1_000_000)
        with pytest.raises(webhooks.SignatureError, match="whole number"):
            webhooks.verify(self.secret, self.headers(**{"webhook-timestamp": "soon"}), self.body)

    def test_one_of_several_signatures_is_enough(self):
        good = self.headers()["webhook-signature"]
        headers = self.headers(**{"webhook-signature": f"v1,bm90IGl0 {good}"})
        assert webhooks.verify(self.secret, headers, self.body, now=1_000_000) == "msg_1"


@pytest.mark.parametrize("secret", ["", "whsec_", "whsec_not*base64!"])
def test_unusable_secrets_are_refused(secret):
    with pytest.raises(ValueError):
        webhooks.signing_key(secret)
    with pytest.raises(ValidationError):
        webhooks.check_secret(secret)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://claims.example/in",
        "gopher://127.0.0.1:6379/_FLUSHALL",
        "javascript:alert(1)",
        "https://",
        "http://host:notaport/",
        "claims.example/hook",
    ],
)
def test_only_http_addresses_are_accepted(url):
    with pytest.raises(ValidationError):
        webhooks.check_url(url)
    with pytest.raises(ImproperlyConfigured, match="LEADS_WEBHOOK_URL"):
        webhook_from_env({"LEADS_WEBHOOK_URL": url, "LEADS_WEBHOOK_SECRET": "s"})


def test_the_environment_names_both_or_neither():
    assert webhook_from_env({}) == ("", "")
    assert webhook_from_env(
        {"LEADS_WEBHOOK_URL": " https://claims.example/in ", "LEADS_WEBHOOK_SECRET": "s"}
    ) == ("https://claims.example/in", "s")
    with pytest.raises(ImproperlyConfigured, match="LEADS_WEBHOOK_SECRET"):
        webhook_from_env({"LEADS_WEBHOOK_URL": "https://claims.example/in"})


def test_the_snippet_in_the_docs_verifies_what_we_send():
    text = (Path(__file__).resolve().parents[2] / "docs" / "handoff.md").read_text()
    snippet = text.split("## Verifying it", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    namespace = {}
    exec(snippet, namespace)  # noqa: S102 - our own documentation, run as a receiver would
    body = '{"data":{"lead":{"full_name":"Zoë"}}}'.encode()
    for secret in ["whsec_" + base64.b64encode(os.urandom(32)).decode(), "plain secret"]:
        headers = webhooks.signed_headers(secret, "msg_doc", body)
        assert namespace["verify"](secret, headers, body) == "msg_doc"
        with pytest.raises(ValueError, match="bad signature"):
            namespace["verify"](secret, headers, body + b" ")
