"""Cookie consent in the pages: a banner the page cache can serve, the settings page, the admin."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from home.models import SiteSettings, validate_script_url
from tests.second_factor import sign_in_with_second_factor

pytestmark = pytest.mark.django_db


def _consented_client(action="accept"):
    client = Client()
    client.post(f"/cookies/{action}/", {"all_groups": "on"})
    assert "cookie_consent" in client.cookies
    return client


class TestBannerOnCachedPages:
    def test_page_html_is_identical_whoever_asks(self, demo_site):
        pages = {}
        for name, client in {
            "new": Client(),
            "accepted": _consented_client("accept"),
            "declined": _consented_client("decline"),
        }.items():
            response = client.get("/about/")
            assert response.status_code == 200
            assert not response.cookies, name
            pages[name] = response.content
        assert pages["new"] == pages["accepted"] == pages["declined"]

    def test_page_carries_no_csrf_token(self, client, demo_site):
        html = client.get("/").content.decode()
        assert "csrfmiddlewaretoken" not in html

    def test_banner_first_in_body_hidden_until_the_script_asks(self, client, demo_site):
        html = client.get("/").content.decode()
        body = html[html.index("<body") :]
        assert body.index('id="cookie-banner"') < body.index('class="skip-link"')
        banner = re.search(r'<section id="cookie-banner"[^>]*>', html).group(0)
        assert " hidden" in banner
        assert 'aria-labelledby="cookie-banner-title"' in banner
        assert 'data-status-url="/cookies/status/"' in banner
        assert 'data-script-analytics="/static/home/js/demo-analytics.js"' in banner
        assert 'role="status" aria-live="polite"' in html

    def test_accept_and_reject_have_equal_weight(self, client, demo_site):
        html = client.get("/").content.decode()
        accept = re.search(r'<button([^>]*)data-consent-action="accept">([^<]*)<', html)
        reject = re.search(r'<button([^>]*)data-consent-action="decline">([^<]*)<', html)
        assert accept.group(2) == "Accept all" and reject.group(2) == "Reject all"
        assert accept.group(1) == reject.group(1)
        assert 'href="/cookies/?next=/">Manage preferences</a>' in html

    def test_no_inline_script_or_style_anywhere(self, client, demo_site):
        html = client.get("/").content.decode()
        assert " style=" not in html and "<style" not in html
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag or re.search(r'type="application/(ld\+)?json"', tag), tag
        assert "onclick" not in html.lower()

    def test_plain_honest_wording(self, client, demo_site):
        html = client.get("/").content.decode().lower()
        assert "by continuing" not in html
        assert "only use these extra cookies if you say yes" in html

    def test_footer_link_reopens_choices_or_goes_to_settings(self, client, demo_site):
        html = client.get("/").content.decode()
        assert '<a href="/cookies/" data-consent-open>Cookie settings</a>' in html


class TestSettingsPage:
    def test_works_without_javascript_and_is_never_cached(self, client, demo_site):
        response = client.get("/cookies/")
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
        html = response.content.decode()
        assert "<h1>Cookie settings</h1>" in html
        assert 'name="csrfmiddlewaretoken"' in html
        assert '<label for="group-analytics-accept">Yes, allow analytics cookies</label>' in html
        assert "<code>_demo_analytics</code>" in html and "30 minutes" in html
        assert "Always on." in html
        assert 'class="cookie-settings-page"' in html

    def test_nothing_is_pre_ticked(self, client, demo_site):
        html = client.get("/cookies/").content.decode()
        assert " checked" not in html
        assert "not made yet, so these cookies are off" in html

    def test_shows_the_visitors_own_choices(self, demo_site):
        client = Client()
        client.post("/cookies/save/", {"group-analytics": "decline", "group-marketing": "accept"})
        html = client.get("/cookies/?saved=1").content.decode()
        assert "Your cookie settings are saved." in html
        assert re.search(r'id="group-analytics-decline"[^>]*value="decline" checked', html)
        assert re.search(r'id="group-marketing-accept"[^>]*value="accept" checked', html)

    def test_unsafe_next_is_not_rendered(self, client, demo_site):
        html = client.get("/cookies/?next=https://evil.example/").content.decode()
        assert "evil.example" not in html


class TestSiteSettingsScripts:
    @pytest.mark.parametrize(
        "value", ["javascript:alert(1)", "http://tracker.example/t.js", "//cdn.example/x.js", "x"]
    )
    def test_unsafe_script_addresses_are_refused(self, value):
        with pytest.raises(ValidationError):
            validate_script_url(value)

    @pytest.mark.parametrize(
        "value", ["/static/home/js/demo-analytics.js", "https://a.example/t.js"]
    )
    def test_site_paths_and_https_are_allowed(self, value):
        validate_script_url(value)

    def test_demo_content_configures_the_analytics_demo(self, demo_site):
        settings = SiteSettings.for_site(demo_site)
        assert settings.analytics_script_url == "/static/home/js/demo-analytics.js"


class TestWagtailAdmin:
    @pytest.fixture
    def admin_client(self, client, django_user_model):
        user = django_user_model.objects.create_superuser("admin", "admin@example.test", "pw")
        sign_in_with_second_factor(client, user)
        return client

    @pytest.mark.parametrize(
        "url",
        [
            "/admin/cookie_consent/cookiegroup/",
            "/admin/cookie_consent/cookie/",
            "/admin/home/consentrecord/",
        ],
    )
    def test_lists_render(self, admin_client, url):
        assert admin_client.get(url).status_code == 200

    def test_cookies_filter_by_group(self, admin_client):
        html = admin_client.get("/admin/cookie_consent/cookie/?group=analytics").content.decode()
        assert "_demo_analytics" in html
        assert "_demo_campaign" not in html and "csrftoken" not in html

    def test_editing_a_duration_in_the_admin_asks_visitors_again(self, admin_client):
        from cookie_consent.models import Cookie

        visitor = _consented_client("accept")
        cookie = Cookie.objects.get(name="_demo_analytics")
        url = f"/admin/cookie_consent/cookie/edit/{cookie.pk}/"
        form = admin_client.get(url).content.decode()
        assert 'name="duration"' in form and 'value="30 minutes"' in form
        response = admin_client.post(
            url,
            {
                "cookiegroup": cookie.cookiegroup_id,
                "name": cookie.name,
                "description": cookie.description,
                "duration": "6 months",
                "domain": "",
                "path": "/",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        assert cookie.detail.__class__.objects.get(cookie=cookie).duration == "6 months"
        assert visitor.get("/cookies/status/").json()["undecided"] == ["analytics"]

    def test_consent_record_found_by_consent_id_with_or_without_hyphens(self, admin_client):
        from home.consent import ConsentRecord

        _consented_client("accept")
        _consented_client("decline")
        wanted, other = ConsentRecord.objects.order_by("pk")
        for term in (str(wanted.consent_id), wanted.consent_id.hex, "not-an-id"):
            html = admin_client.get("/admin/home/consentrecord/", {"q": term}).content.decode()
            assert str(other.consent_id) not in html
            assert (str(wanted.consent_id) in html) == (term != "not-an-id")

    def test_consent_records_cannot_be_added_or_edited(self, admin_client):
        _consented_client("accept")
        from home.consent import ConsentRecord

        record = ConsentRecord.objects.get()
        assert admin_client.get("/admin/home/consentrecord/create/").status_code in (302, 403)
        assert admin_client.get(f"/admin/home/consentrecord/edit/{record.pk}/").status_code in (
            302,
            403,
        )
        assert (
            admin_client.get(f"/admin/home/consentrecord/inspect/{record.pk}/").status_code == 200
        )
