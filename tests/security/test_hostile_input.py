"""Hostile input against every public endpoint: the answer is a 4xx or a normal page, never a
500, and nothing sent is rendered back as live markup.

To cover another endpoint, add an `Endpoint` to ENDPOINTS: where payloads go (`fields`, query
parameters for GET, form fields for POST), any valid values to send alongside (`base`, e.g. a
complete call-back form so that only one field at a time is hostile), and whether the page
echoes the field back (`reflects`), in which case the escaped payload must be on the page.
`needs_demo` builds the demo site first (pages, forms, cookie groups); `base_from`, when set,
is a function given the test client that returns `base` at run time (e.g. a freshly signed
form token read from the page).
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from leads.models import Lead
from tests.leads.helpers import GOOD_ANSWERS, read_callback_form
from tests.second_factor import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

MARKUP = "<>\"'"


@dataclass(frozen=True)
class Payload:
    name: str
    value: str

    def __str__(self):
        return self.name


PAYLOADS = [
    # Cross-site scripting
    Payload("xss-script", "<script>alert(1)</script>"),
    Payload("xss-attribute", '"><img src=x onerror=alert(1)>'),
    Payload("xss-single-quote", "' autofocus onfocus='alert(1)"),
    Payload("xss-title-break", "</title><svg onload=alert(1)>"),
    Payload("xss-javascript-url", "javascript:alert(document.cookie)"),
    Payload("template-injection", "{{ settings.SECRET_KEY }}{% debug %}${7*7}"),
    # SQL fragments
    Payload("sql-or", "' OR '1'='1' --"),
    Payload("sql-union", '" UNION SELECT username, password FROM auth_user --'),
    Payload("sql-stacked", "1; DROP TABLE wagtailcore_page; --"),
    Payload("sql-like-wildcards", "%_%' AND 1=1 ESCAPE '\\"),
    Payload("tsquery-operators", "data & !breach | (:* <-> )"),
    # Path tricks
    Payload("path-traversal", "../../../../etc/passwd"),
    Payload("path-encoded", "..%2f..%2f..%2fetc%2fpasswd"),
    Payload("path-backslash", "..\\..\\windows\\win.ini"),
    # Control and odd characters
    Payload("nul-byte", "data\x00breach"),
    Payload("crlf-header-split", "x\r\nSet-Cookie: injected=1"),
    Payload("unicode-bidi-and-emoji", "\u202eevil\u202c \U0001f4a5 \ufeff\u0301"),
    # Huge values
    Payload("huge", "A" * 100_000),
    Payload("huge-words", "breach " * 5_000),
    # Numbers where numbers are expected
    Payload("number-huge", "9" * 400),
    Payload("number-negative", "-1"),
    Payload("number-nan", "NaN"),
]

# Percent-encoded bytes that are not UTF-8 (sent raw in the query string or body).
INVALID_UTF8 = ["%ff%fe%fd", "%c0%af", "%ed%a0%80", "caf%e9"]

WRONG_CONTENT_TYPES = [
    ("application/json", b'{"cookie_groups": "<script>alert(1)</script>"}'),
    ("text/xml", b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>"),
    ("text/plain", b"cookie_groups=analytics"),
    ("multipart/form-data", b"--no-boundary-given\r\n"),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Disposition: form-data\r\n\r\n"),
    ("application/x-www-form-urlencoded", b"cookie_groups=%ff%fe&next=%c0%af"),
    ("application/x-www-form-urlencoded; charset=klingon", b"cookie_groups=a"),
]


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    fields: tuple[str, ...]
    base: dict = field(default_factory=dict)
    reflects: tuple[str, ...] = ()
    needs_demo: bool = False
    base_from: Callable | None = None

    def __str__(self):
        return self.name


def callback_form_from_home(client: Client) -> dict:
    """What a reader's browser sends from the home page's call-back box, answers filled in."""
    _action, hidden = read_callback_form(client.get("/").content.decode())
    return {**hidden, **GOOD_ANSWERS}


LEAD_FIELDS = (
    "full_name",
    "phone",
    "email",
    "callback_time",
    "privacy_ack",
    "token",
    "submission_key",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "gclid",
    "website",
)


ENDPOINTS = [
    Endpoint("search", "GET", "/search/", ("q", "page"), reflects=("q",)),
    Endpoint("search-page", "GET", "/search/", ("page",), base={"q": "data"}),
    Endpoint("home-query", "GET", "/", ("utm_source", "page", "q"), needs_demo=True),
    Endpoint("standard-page-query", "GET", "/about/", ("ref",), needs_demo=True),
    Endpoint("robots", "GET", "/robots.txt", ("x",)),
    Endpoint("sitemap", "GET", "/sitemap.xml", ("p",), needs_demo=True),
    Endpoint("security-txt", "GET", "/.well-known/security.txt", ("x",), needs_demo=True),
    Endpoint("cookies", "GET", "/cookies/", ("next",)),
    Endpoint("cookie-status", "GET", "/cookies/status/", ("x",)),
    Endpoint("cookies-accept", "POST", "/cookies/accept/", ("cookie_groups", "next")),
    Endpoint("cookies-decline", "POST", "/cookies/decline/", ("cookie_groups", "next")),
    Endpoint(
        "cookies-save",
        "POST",
        "/cookies/save/",
        ("group-analytics", "group-marketing", "next"),
        base={"group-analytics": "decline"},
        needs_demo=True,
    ),
    Endpoint("cookies-post", "POST", "/cookies/", ("cookie_groups", "next")),
    Endpoint(
        "lead-form",
        "POST",
        "/leads/callback/",
        LEAD_FIELDS,
        # Refused answers come back in the form, so they are echoed: escaped, or not at all.
        needs_demo=True,
        base_from=callback_form_from_home,
    ),
    Endpoint("lead-form-get", "GET", "/leads/callback/", ("full_name", "token")),
    Endpoint("lead-sent", "GET", "/leads/callback/sent/", ("callback", "x")),
    Endpoint(
        "case-study-index",
        "GET",
        "/case-studies/",
        ("type", "sector", "year", "page"),
        needs_demo=True,
    ),
    Endpoint(
        "case-study-index-filtered",
        "GET",
        "/case-studies/",
        ("page", "year", "type"),
        base={"type": "lost-devices", "sector": "police", "year": "2016"},
        needs_demo=True,
    ),
    Endpoint(
        "case-study",
        "GET",
        "/case-studies/west-midlands-police-data-breaches/",
        ("utm_source", "utm_campaign", "gclid", "callback"),
        needs_demo=True,
    ),
    Endpoint("feed", "GET", "/case-studies/feed/", ("type", "page", "q"), needs_demo=True),
]


def _send(client: Client, endpoint: Endpoint, data: dict, **extra):
    if endpoint.method == "GET":
        return client.get(endpoint.path, data, **extra)
    # A browser posting from our own page says so; without it the lead form could refuse
    # every payload as cross-site before reading it.
    return client.post(endpoint.path, data, HTTP_SEC_FETCH_SITE="same-origin", **extra)


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _assert_safe(response, payload: str, where: str):
    assert response.status_code < 500, f"{where}: {response.status_code}"
    body = _body(response)
    if any(ch in payload for ch in MARKUP):
        # Markup is shown as text, never as markup. Compare a prefix: pages may shorten input.
        assert payload[:60] not in body, f"{where}: payload rendered unescaped"
    assert not re.search(
        r"""(href|src|action|formaction)\s*=\s*["']?\s*javascript:""", body, re.IGNORECASE
    ), f"{where}: a javascript: URL was rendered into an attribute"
    for name, value in response.headers.items():
        assert "injected" not in value, f"{where}: header {name} carries the payload"


@pytest.fixture
def prepared(request, client, settings):
    """Builds the demo site for endpoints that need it; returns the valid values to send.

    The call-back form's flood limit and too-fast signal are off, so every payload reaches
    validation and storage instead of being turned away early with a 429.
    """
    settings.LEADS_FLOOD_LIMIT = (0, 60)
    settings.LEADS_MIN_FILL_SECONDS = 0

    def prepare(endpoint):
        if endpoint.needs_demo:
            request.getfixturevalue("demo_site")
        if endpoint.base_from:
            return {**endpoint.base_from(client), **endpoint.base}
        return dict(endpoint.base)

    return prepare


# One test per endpoint, every payload in turn: the demo site is built once, not per payload.
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_payload_in_each_field(client, prepared, endpoint):
    base = prepared(endpoint)
    for payload in PAYLOADS:
        for name in endpoint.fields:
            where = f"{endpoint.method} {endpoint.path} {name} {payload}"
            response = _send(client, endpoint, {**base, name: payload.value})
            _assert_safe(response, payload.value, where)
            if name in endpoint.reflects and response.status_code == 200:
                # Pages may tidy what they echo (spaces, quotes); the longest word must survive.
                words = sorted(re.findall(r"[A-Za-z0-9]{4,}", payload.value[:200]), key=len)
                if words:
                    assert escape(words[-1][:60]) in _body(response), f"{where}: not echoed"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_invalid_utf8_in_query_and_body(client, prepared, endpoint):
    base = prepared(endpoint)
    for raw in INVALID_UTF8:
        _send_invalid_utf8(client, endpoint, base, raw)


def _send_invalid_utf8(client, endpoint, base, raw):
    query = "&".join(f"{name}={raw}" for name in endpoint.fields)
    if endpoint.method == "GET":
        response = client.get(endpoint.path, QUERY_STRING=query)
    else:
        response = client.post(
            endpoint.path,
            query,
            content_type="application/x-www-form-urlencoded",
            HTTP_SEC_FETCH_SITE="same-origin",
        )
    assert response.status_code < 500
    if endpoint.method == "POST" and base:
        # One bad field at a time among good ones, so the bytes reach the deeper code.
        for name in endpoint.fields:
            good = urlencode({key: value for key, value in base.items() if key != name})
            response = client.post(
                endpoint.path,
                f"{good}&{name}={raw}",
                content_type="application/x-www-form-urlencoded",
                HTTP_SEC_FETCH_SITE="same-origin",
            )
            assert response.status_code < 500, f"{name} {raw}: {response.status_code}"


@pytest.mark.parametrize(("content_type", "body"), WRONG_CONTENT_TYPES)
@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.method == "POST"], ids=str)
def test_wrong_content_type(client, prepared, endpoint, content_type, body):
    prepared(endpoint)
    # generic() sends the bytes as they are; post() would encode them with the charset.
    response = client.generic(
        "POST", endpoint.path, body, content_type=content_type, HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert response.status_code < 500
    assert b"<script>alert(1)</script>" not in response.content


@pytest.mark.parametrize(
    "path",
    [
        "/..%2f..%2f..%2fetc%2fpasswd",
        "/static/../cms/settings/base.py",
        "/static/..%2fcms%2fsettings%2fbase.py",
        "/media/../manage.py",
        "/documents/1/..%2f..%2fmanage.py",
        "/%00",
        "/about/%ff%fe/",
        "/search/%c0%af/",
        "/" + "a/" * 2_000,
        "/<script>alert(1)</script>/",
        "/.env",
        "/.git/config",
    ],
)
def test_path_tricks(client, demo_site, path):
    response = client.get(path)
    assert response.status_code in {301, 302, 400, 404}, f"{path}: {response.status_code}"
    body = _body(response)
    assert "SECRET_KEY" not in body and "[core]" not in body
    assert "<script>alert(1)</script>" not in body


@pytest.mark.parametrize("method", ["put", "patch", "delete", "options", "trace"])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_unexpected_methods(client, prepared, endpoint, method):
    prepared(endpoint)
    response = getattr(client, method)(endpoint.path)
    assert response.status_code < 500


def test_too_many_fields_and_too_large_bodies_are_refused(client, settings):
    many = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = client.post(
        "/cookies/accept/", many, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    big = "cookie_groups=" + "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.post(
        "/cookies/accept/", big, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example/", "https:evil.example"],
)
def test_cookie_choice_never_redirects_off_site(client, target):
    response = client.post("/cookies/accept/", {"cookie_groups": "", "next": target})
    assert response.status_code < 500
    location = response.headers.get("Location", "")
    assert "evil.example" not in location


def test_lead_form_refuses_oversized_and_odd_bodies(client, prepared, settings):
    endpoint = next(e for e in ENDPOINTS if e.name == "lead-form")
    base = prepared(endpoint)
    # Larger than a call-back request could be, though well inside Django's own limit.
    big = urlencode({**base, "full_name": "A" * getattr(settings, "LEADS_MAX_BODY_BYTES", 16_384)})
    response = client.post(
        endpoint.path,
        big,
        content_type="application/x-www-form-urlencoded",
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert response.status_code == 413
    # More fields than Django reads.
    many = urlencode(base) + "".join(
        f"&f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)
    )
    settings.LEADS_MAX_BODY_BYTES = len(many) + 1
    response = client.post(
        endpoint.path,
        many,
        content_type="application/x-www-form-urlencoded",
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert response.status_code == 400
    # A length that is not a number, and the good answers sent as JSON: not a form post.
    for extra in ({"CONTENT_LENGTH": "many"}, {}):
        response = client.generic(
            "POST",
            endpoint.path,
            json.dumps(base).encode(),
            content_type="application/json",
            HTTP_SEC_FETCH_SITE="same-origin",
            **extra,
        )
        assert 400 <= response.status_code < 500
    assert Lead.objects.count() == 0


HOSTILE_ANSWERS = {
    "full_name": '<script>alert("name")</script> Eve"><img src=x onerror=alert(1)>',
    "utm_source": "<svg onload=alert('utm')>",
    "utm_campaign": "' OR '1'='1' -- {{ settings.SECRET_KEY }}",
    "utm_content": "javascript:alert(document.cookie)",
    "referrer": "https://evil.example/<script>alert('ref')</script>",
}


def test_hostile_answers_are_stored_as_text_and_shown_escaped(client, prepared):
    endpoint = next(e for e in ENDPOINTS if e.name == "lead-form")
    response = _send(client, endpoint, {**prepared(endpoint), **HOSTILE_ANSWERS})
    assert response.status_code == 303
    lead = Lead.objects.get()
    # Stored exactly as typed: text, not markup to be cleaned (or run) later.
    for name, value in HOSTILE_ANSWERS.items():
        assert getattr(lead, name) == value, name

    staff = get_user_model().objects.create_superuser("desk", "desk@example.test", "x" * 20)
    sign_in_with_second_factor(client, staff)
    pages = {
        "desk list": "/admin/leads/lead/",
        "desk search": "/admin/leads/lead/?q=Eve",
        "inspect": f"/admin/leads/lead/inspect/{lead.pk}/",
    }
    for where, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, where
        body = _body(response)
        assert escape(HOSTILE_ANSWERS["full_name"]) in body, f"{where}: name not shown as text"
        for value in HOSTILE_ANSWERS.values():
            if any(ch in value for ch in MARKUP):
                assert value not in body, f"{where}: {value!r} rendered as markup"
        # As text a javascript: URL is harmless; it must never become a link.
        assert not re.search(r"""(href|src)\s*=\s*["']?\s*javascript:""", body, re.I), where
    inspect = _body(client.get(pages["inspect"]))
    for name in ("utm_source", "referrer"):
        assert escape(HOSTILE_ANSWERS[name]) in inspect, f"{name} not shown as text"
