"""Security headers, the sign-in lockout, upload limits and security.txt, as a client sees them."""

import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from axes.helpers import get_client_ip_address
from django import forms
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from cms.env import client_address_settings
from leads.security import client_ip as leads_client_ip
from tests.second_factor import sign_in_with_second_factor

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery-staple"


def _directives(header):
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.django_db
class TestContentSecurityPolicy:
    @pytest.mark.parametrize("path", ["/", "/about/", "/search/?q=data", "/no-such-page/"])
    def test_public_pages_get_the_strict_policy_without_a_nonce(self, client, demo_site, path):
        response = client.get(path)
        header = response["Content-Security-Policy"]
        assert _directives(header) == {
            "default-src": ["'self'"],
            "script-src": ["'self'"],
            "style-src": ["'self'"],
            "img-src": ["'self'", "data:"],
            "object-src": ["'none'"],
            "base-uri": ["'self'"],
            "form-action": ["'self'"],
            "frame-ancestors": ["'none'"],
        }
        # A nonce differs per response; a cached page would carry a stale one.
        assert "nonce-" not in header
        assert "unsafe-inline" not in header

    def test_the_same_page_gets_the_same_header_twice(self, client, demo_site):
        assert (
            client.get("/")["Content-Security-Policy"] == client.get("/")["Content-Security-Policy"]
        )

    def test_admin_gets_its_own_policy(self, client, db):
        header = client.get("/admin/login/")["Content-Security-Policy"]
        directives = _directives(header)
        assert directives["frame-ancestors"] == ["'self'"]
        assert directives["object-src"] == ["'none'"]
        assert directives["form-action"] == ["'self'"]
        # No other origin anywhere in it.
        assert not re.search(r"https?:|\*", header)

    def test_public_templates_have_no_inline_script_or_style(self):
        """The public policy allows none, so any found here would be blocked in the browser."""
        offenders = []
        for template in (ROOT / "templates").rglob("*.html"):
            text = template.read_text()
            for pattern in (
                # inline script (JSON data blocks are not run, so CSP allows them)
                r"<script(?![^>]*\bsrc=)(?![^>]*\btype=[\"']application/(?:ld\+)?json)[^>]*>",
                r"<style\b",  # style element
                r"<[a-z][^>]*\sstyle\s*=",  # style attribute
                r"<[a-z][^>]*\son[a-z]+\s*=",  # event handler attribute
            ):
                if re.search(pattern, text, re.IGNORECASE):
                    offenders.append(f"{template.relative_to(ROOT)}: {pattern}")
        assert offenders == []


@pytest.mark.django_db
class _Scripts(HTMLParser):
    """The attributes of every <script> element in a page."""

    def __init__(self, html):
        super().__init__()
        self.found = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.found.append(dict(attrs))


def _inline_scripts(html):
    """The scripts a browser would run from the page itself: no src, not a JSON data block."""
    return [
        attrs
        for attrs in _Scripts(html).found
        if "src" not in attrs and attrs.get("type") not in {"application/json", "text/template"}
    ]


@pytest.mark.django_db
class TestAdminContentSecurityPolicy:
    """The admin's policy names a fresh nonce and allows no other inline script, and every
    inline script the admin's pages carry has that nonce (tests/e2e/test_admin_csp.py checks
    the same in a browser, including what Wagtail's JavaScript adds later)."""

    @pytest.fixture
    def editor_client(self, client, demo_site):
        user = get_user_model().objects.create_superuser("admin", "admin@example.test", PASSWORD)
        return sign_in_with_second_factor(client, user)

    def test_the_policy_names_a_nonce_and_no_unsafe_script(self, client, db):
        directives = _directives(client.get("/admin/login/")["Content-Security-Policy"])
        [nonce] = [source for source in directives["script-src"] if source.startswith("'nonce-")]
        assert directives["script-src"] == ["'self'", nonce]
        assert directives["style-src"] == ["'self'", nonce]
        # Style attributes only (they cannot carry a nonce; see home.security).
        assert directives["style-src-attr"] == ["'unsafe-inline'"]
        assert "script-src-attr" not in directives and "script-src-elem" not in directives
        assert "style-src-elem" not in directives

    def test_every_response_gets_a_new_nonce(self, client, db):
        first = client.get("/admin/login/")["Content-Security-Policy"]
        second = client.get("/admin/login/")["Content-Security-Policy"]
        assert (
            re.search(r"'nonce-[^']+'", first).group()
            != re.search(r"'nonce-[^']+'", second).group()
        )

    def test_admin_pages_carry_the_nonce_on_every_inline_script(self, editor_client):
        from wagtail.contrib.search_promotions.models import Query, SearchPromotion

        from breaches.models import BreachCaseStudyPage
        from home.models import HomePage

        case_study = BreachCaseStudyPage.objects.first()
        promoted = SearchPromotion.objects.create(
            query=Query.get("claims"), page=case_study, sort_order=0
        )
        paths = [
            # choosers, date widgets and inline panels
            f"/admin/pages/{case_study.pk}/edit/",
            f"/admin/pages/add/breaches/breachcasestudypage/{case_study.get_parent().pk}/",
            # date filters
            f"/admin/pages/{HomePage.objects.get().pk}/",
            # a chooser on a snippet, the query chooser and formset of search promotions
            "/admin/snippets/leads/callbackform/add/",
            "/admin/searchpicks/add/",
            f"/admin/searchpicks/{promoted.query.pk}/",
        ]
        for path in paths:
            response = editor_client.get(path)
            assert response.status_code == 200, path
            nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
            scripts = _inline_scripts(response.content.decode())
            assert scripts, f"{path}: expected Wagtail's inline scripts"
            assert [s.get("nonce") for s in scripts] == [nonce] * len(scripts), path

    def test_public_pages_stay_without_any_nonce(self, editor_client):
        # Even right after an admin response, and for a signed-in editor (Wagtail's userbar).
        editor_client.get("/admin/")
        response = editor_client.get("/")
        assert "nonce" not in response["Content-Security-Policy"]
        assert "nonce" not in response.content.decode()

    def test_chooser_scripts_cannot_be_closed_early(self):
        """A chooser's initialiser is written inside the nonced <script>: a value in it that
        closed the element would let the markup after it run as new code."""
        from wagtail.admin.widgets.chooser import BaseChooser

        from home.security.csp import _admin_nonce

        class Hostile(BaseChooser):
            def render_html(self, name, value_data, attrs):
                return ""

            def render_js_init(self, id_, name, value_data):
                return 'new Chooser("</script><script>alert(1)</script>");'

        class HostileForm(forms.Form):
            field = forms.CharField(required=False, widget=Hostile())

        # Rendered as the admin renders a form field: through the project's form renderer.
        token = _admin_nonce.set("abc123")
        try:
            html = str(HostileForm()["field"])
        finally:
            _admin_nonce.reset(token)
        assert html == (
            '<script nonce="abc123">new Chooser("<\\/script><script>alert(1)<\\/script>");</script>'
        )
        assert _Scripts(html).found == [{"nonce": "abc123"}]

    def test_only_the_choosers_own_initialiser_gets_the_nonce(self):
        """A script anywhere else in a chooser's output (a value Wagtail wrote unescaped, say)
        stays without the nonce, so the browser refuses to run it."""
        from wagtail.admin.widgets.chooser import BaseChooser

        from home.security.csp import _admin_nonce

        class Injected(BaseChooser):
            def render_html(self, name, value_data, attrs):
                return "<b>chosen</b><script>alert(1)</script>"

            def render_js_init(self, id_, name, value_data):
                return "new Chooser('id_field');"

        class InjectedForm(forms.Form):
            field = forms.CharField(required=False, widget=Injected())

        token = _admin_nonce.set("abc123")
        try:
            html = str(InjectedForm()["field"])
        finally:
            _admin_nonce.reset(token)
        assert html == (
            "<b>chosen</b><script>alert(1)</script>"
            "<script nonce=\"abc123\">new Chooser('id_field');</script>"
        )
        # Outside the admin there is no nonce to give.
        assert str(InjectedForm()["field"]) == (
            "<b>chosen</b><script>alert(1)</script><script>new Chooser('id_field');</script>"
        )

    @pytest.mark.parametrize(
        "widget_path",
        [
            "wagtail.admin.widgets.AdminPageChooser",
            "wagtail.images.widgets.AdminImageChooser",
            "wagtail.documents.widgets.AdminDocumentChooser",
            "wagtail.admin.widgets.workflows.AdminTaskChooser",
        ],
    )
    def test_wagtail_choosers_end_with_their_initialiser_script(self, widget_path):
        """The upgrade assumption behind home/security/chooser_scripts.py."""
        from django.utils.module_loading import import_string

        widget = import_string(widget_path)()
        html = widget.render("field", None, {"id": "id_field"})
        script = f"<script>{widget.render_js_init('id_field', 'field', None)}</script>"
        assert html.endswith(script), (
            f"{widget_path}.render() no longer ends with <script>{{render_js_init()}}</script>. "
            "home/security/chooser_scripts.py gives the admin's CSP nonce to exactly that "
            "script, so this chooser's script now runs without it and the browser blocks it: "
            f"read Wagtail's BaseChooser.render and adapt chooser_scripts.py. Output: {html!r}"
        )


@pytest.mark.django_db
def test_security_headers_on_every_response(client, demo_site):
    for path in ["/", "/robots.txt", "/no-such-page/", "/admin/login/"]:
        response = client.get(path)
        assert response["X-Content-Type-Options"] == "nosniff", path
        assert response["Referrer-Policy"] == "strict-origin-when-cross-origin", path
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", path
        permissions = response["Permissions-Policy"]
        for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
            assert feature in permissions, path
    assert client.get("/")["X-Frame-Options"] == "DENY"


def test_production_settings_send_hsts_and_lock_down_cookies():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY="a-long-random-test-secret-" + "k3Zp" * 12,
    )
    names = [
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SAMESITE",
    ]
    script = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    for cookie in ("SESSION", "CSRF"):
        assert values[f"{cookie}_COOKIE_SECURE"] is True
        assert values[f"{cookie}_COOKIE_HTTPONLY"] is True
        assert values[f"{cookie}_COOKIE_SAMESITE"] in {"Lax", "Strict"}


@pytest.mark.django_db
class TestSignInLockout:
    LOGIN = "/admin/login/"

    @pytest.fixture
    def editor(self, db):
        return get_user_model().objects.create_user(
            "editor", "editor@example.test", PASSWORD, is_superuser=True
        )

    def _attempt(self, client, username, password, ip="198.51.100.7"):
        return client.post(self.LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)

    def test_sixth_wrong_attempt_is_refused_with_a_clear_message(self, client, editor):
        for attempt in range(1, 5):
            response = self._attempt(client, "editor", f"wrong-{attempt}")
            assert response.status_code == 200, attempt
            assert "username and password didn&#x27;t match" in response.content.decode()
        # The fifth failure reaches the limit: from here on sign-in is refused outright.
        assert self._attempt(client, "editor", "wrong-5").status_code == 429
        response = self._attempt(client, "editor", "wrong-6")
        assert response.status_code == 429
        html = response.content.decode()
        assert "Sign-in temporarily locked" in html
        assert "too many unsuccessful attempts to sign in" in html
        assert "wait 15 minutes" in html

    def test_correct_password_is_refused_while_locked(self, client, editor):
        for attempt in range(5):
            self._attempt(client, "editor", f"wrong-{attempt}")
        response = self._attempt(client, "editor", PASSWORD)
        assert response.status_code == 429
        assert "_auth_user_id" not in client.session
        assert client.get("/admin/").status_code == 302

    def test_account_is_locked_from_any_address(self, client, editor):
        for attempt in range(5):
            self._attempt(client, "editor", f"wrong-{attempt}", ip=f"203.0.113.{attempt}")
        assert self._attempt(client, "editor", PASSWORD, ip="192.0.2.55").status_code == 429

    def test_address_is_locked_whatever_the_account(self, client, editor):
        for attempt in range(5):
            self._attempt(client, f"guess-{attempt}", "wrong", ip="198.51.100.9")
        assert self._attempt(client, "editor", PASSWORD, ip="198.51.100.9").status_code == 429
        # Another address still signs in.
        response = self._attempt(client, "editor", PASSWORD, ip="198.51.100.10")
        assert response.status_code == 302

    def test_success_before_the_limit_clears_the_count(self, client, editor):
        for attempt in range(4):
            self._attempt(client, "editor", f"wrong-{attempt}")
        assert self._attempt(client, "editor", PASSWORD).status_code == 302
        client.logout()
        for attempt in range(4):
            assert self._attempt(client, "editor", f"again-{attempt}").status_code == 200


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "1.1.1.1", "10.0.0.2"),  # no proxy: the header is the client's own claim
        (1, "1.1.1.1, 203.0.113.5", "203.0.113.5"),  # the proxy appended the real address
        (1, "", "10.0.0.2"),
        (2, "203.0.113.5, 10.0.0.9", "203.0.113.5"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(settings, proxies, forwarded, expected):
    """One rule for both who use it: the sign-in lockout (axes) and the call-back limits."""
    headers, count = client_address_settings(proxies)
    settings.IPWARE_META_PRECEDENCE_ORDER = settings.AXES_IPWARE_META_PRECEDENCE_ORDER = headers
    settings.IPWARE_META_PROXY_COUNT = settings.AXES_IPWARE_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert get_client_ip_address(request) == expected
    assert leads_client_ip(request) == expected


def test_the_settings_configure_the_client_address_from_trusted_proxy_count():
    """What base.py derives from TRUSTED_PROXY_COUNT is what axes and ipware read."""
    headers, count = client_address_settings(django_settings.TRUSTED_PROXY_COUNT)
    assert headers == django_settings.IPWARE_META_PRECEDENCE_ORDER
    assert headers == django_settings.AXES_IPWARE_META_PRECEDENCE_ORDER
    assert count == django_settings.IPWARE_META_PROXY_COUNT
    assert count == django_settings.AXES_IPWARE_PROXY_COUNT
    assert django_settings.IPWARE_STRICT is False
    assert getattr(django_settings, "AXES_CLIENT_IP_CALLABLE", None) is None


def _png_bytes():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "navy").save(buffer, "PNG")
    return buffer.getvalue()


def _file_errors(response):
    """The errors the admin shows against the upload's file field."""
    return " ".join(response.context["form"].errors.get("file", []))


@pytest.mark.django_db
class TestUploads:
    @pytest.fixture
    def admin_client(self, client, db):
        user = get_user_model().objects.create_superuser("admin", "admin@example.test", PASSWORD)
        sign_in_with_second_factor(client, user)
        return client

    def _add_image(self, client, name, content, content_type="image/png"):
        return client.post(
            "/admin/images/add/",
            {"title": name, "file": SimpleUploadedFile(name, content, content_type)},
        )

    def _add_document(self, client, name, content, content_type="application/octet-stream"):
        return client.post(
            "/admin/documents/add/",
            {"title": name, "file": SimpleUploadedFile(name, content, content_type)},
        )

    def test_a_real_png_is_accepted(self, admin_client):
        response = self._add_image(admin_client, "ok.png", _png_bytes())
        assert response.status_code == 302
        assert get_image_model().objects.filter(title="ok.png").exists()

    def test_oversized_image_is_refused(self, admin_client, settings):
        big = _png_bytes() + b"\0" * settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE
        response = self._add_image(admin_client, "big.png", big)
        assert response.status_code == 200
        assert "This file is too big" in _file_errors(response)
        assert not get_image_model().objects.exists()

    @pytest.mark.parametrize(
        ("name", "content"),
        [
            (
                "drawing.svg",
                b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            ),
            ("page.png", b"<html><script>alert(1)</script></html>"),
            ("page.html", b"<html></html>"),
        ],
    )
    def test_wrong_image_types_are_refused(self, admin_client, name, content):
        response = self._add_image(admin_client, name, content)
        assert response.status_code == 200
        assert re.search(
            r"Not a supported image|Not a valid \.png image|Upload a valid image",
            _file_errors(response),
        )
        assert not get_image_model().objects.exists()

    @pytest.mark.parametrize(
        ("name", "content", "error"),
        [
            ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "Not a supported"),
            ("huge.png", None, "This file is too big"),
        ],
    )
    def test_drag_and_drop_uploader_refuses_too(self, admin_client, settings, name, content, error):
        """The editor's usual way in: the multiple uploader, answered in JSON."""
        if content is None:  # a real PNG, padded past the limit
            content = _png_bytes() + b"\0" * settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE
        response = admin_client.post(
            "/admin/images/multiple/add/",
            {"files[]": SimpleUploadedFile(name, content, "image/svg+xml")},
        )
        assert response.status_code == 200
        assert response.json()["success"] is False
        assert error in response.json()["error_message"]
        assert not get_image_model().objects.exists()

    def test_oversized_document_is_refused(self, admin_client, settings):
        big = b"%PDF-1.4\n" + b"0" * settings.WAGTAILDOCS_MAX_UPLOAD_SIZE
        response = self._add_document(admin_client, "big.pdf", big, "application/pdf")
        assert response.status_code == 200
        assert "This file is too big" in _file_errors(response)
        assert not get_document_model().objects.exists()

    @pytest.mark.parametrize("name", ["page.html", "drawing.svg", "run.js", "tool.exe"])
    def test_wrong_document_types_are_refused(self, admin_client, name):
        response = self._add_document(admin_client, name, b"<script>alert(1)</script>")
        assert response.status_code == 200
        assert "File extension" in _file_errors(response)
        assert not get_document_model().objects.exists()

    @pytest.mark.parametrize(
        ("name", "content_type"), [("report.pdf", "application/pdf"), ("notes.txt", "text/plain")]
    )
    def test_documents_are_downloaded_never_shown_inline(
        self, admin_client, name, content_type, settings, tmp_path
    ):
        # Served from disk as in production (the suite's in-memory storage has no files).
        settings.MEDIA_ROOT = tmp_path
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        }
        assert (
            self._add_document(admin_client, name, b"%PDF-1.4 x", content_type).status_code == 302
        )
        document = get_document_model().objects.get()
        response = admin_client.get(document.url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Content-Security-Policy"] == "default-src 'none'"
        assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
class TestSecurityTxt:
    def test_rfc_9116_fields(self, client, demo_site, settings):
        settings.SECURITY_CONTACT = ["mailto:security@example.test", "https://example.test/vdp"]
        response = client.get("/.well-known/security.txt")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        fields = [line.split(": ", 1) for line in response.content.decode().splitlines() if line]
        assert fields[:2] == [
            ["Contact", "mailto:security@example.test"],
            ["Contact", "https://example.test/vdp"],
        ]
        values = dict(fields[2:])
        expires = datetime.strptime(values["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        now = datetime.now(UTC)
        assert now < expires < now + timedelta(days=365)
        assert values["Preferred-Languages"] == "en"
        assert values["Canonical"] == "http://testserver/.well-known/security.txt"

    def test_falls_back_to_the_firms_email(self, client, demo_site, settings):
        settings.SECURITY_CONTACT = []
        body = client.get("/.well-known/security.txt").content.decode()
        assert "Contact: mailto:claims@northgate-data-claims.example" in body

    def test_without_any_contact_there_is_no_file(self, client, db, settings):
        settings.SECURITY_CONTACT = []
        assert client.get("/.well-known/security.txt").status_code == 404
