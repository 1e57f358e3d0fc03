import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from home.models import HomePage, SiteSettings, StandardPage
from tests.second_factor import sign_in_with_second_factor


class TestPageCreationRules(WagtailPageTestCase):
    def test_home_page_sits_only_at_the_root(self):
        self.assertCanCreateAt(Page, HomePage)
        self.assertCanNotCreateAt(StandardPage, HomePage)
        self.assertCanNotCreateAt(HomePage, HomePage)

    def test_standard_pages_sit_under_home_or_each_other(self):
        self.assertAllowedParentPageTypes(StandardPage, {HomePage, StandardPage})
        self.assertAllowedSubpageTypes(StandardPage, {StandardPage})

    def test_only_one_home_page(self):
        assert HomePage.max_count == 1


@pytest.mark.django_db
class TestRendering:
    def test_home_page_renders_hero_cta_and_callback_box(self, client, demo_site):
        response = client.get("/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "Has your personal data been leaked, lost or misused?" in html
        assert "Start your claim" in html
        assert "Request a call back from our team" in html
        assert "All fields are required." in html

    @pytest.mark.parametrize("path", ["/about/", "/privacy-policy/", "/cookie-policy/"])
    def test_standard_pages_render(self, client, demo_site, path):
        response = client.get(path)
        assert response.status_code == 200
        page = StandardPage.objects.get(url_path__endswith=path)
        assert f"<h1>{page.title}</h1>" in response.content.decode()

    def test_every_page_type_renders(self, demo_site):
        for page in Page.objects.live().specific().exclude(depth=1):
            assert page.serve(_request_for(page)).render().status_code == 200

    def test_skip_link_targets_main(self, client, demo_site):
        html = client.get("/").content.decode()
        assert html.index('class="skip-link" href="#main"') < html.index('id="main"')

    def test_menu_lists_pages_marked_for_menus(self, client, demo_site):
        html = client.get("/").content.decode()
        assert '<nav class="main-menu" aria-label="Main">' in html
        assert 'href="/about/"' in html


def _request_for(page):
    request = RequestFactory().get(page.url)
    request.user = AnonymousUser()
    return request


@pytest.mark.django_db
class TestSiteSettingsInChrome:
    def test_footer_shows_firm_phone_email_and_legal_links(self, client, demo_site):
        settings = SiteSettings.for_site(demo_site)
        settings.firm_name = "Example Claims LLP"
        settings.freephone = "0808 157 0000"
        settings.claims_email = "help@example.test"
        settings.save()
        html = client.get("/about/").content.decode()
        footer = html[html.index("<footer") :]
        assert "Example Claims LLP" in footer
        assert '<a href="tel:+448081570000">0808 157 0000</a>' in footer
        assert "mailto:help@example.test" in footer
        assert 'href="/privacy-policy/"' in footer
        assert 'href="/cookie-policy/"' in footer

    def test_invalid_freephone_is_shown_without_a_broken_tel_link(self, demo_site):
        settings = SiteSettings.for_site(demo_site)
        settings.freephone = "not a number"
        assert settings.freephone_tel == ""

    def test_page_chooses_its_own_callback_form_else_default(self, rf, demo_site):
        from leads.models import CallBackForm

        home = HomePage.objects.get()
        default = SiteSettings.for_site(demo_site).default_callback_form
        assert home.get_callback_form(rf.get("/")) == default
        own = CallBackForm.objects.create(name="Home special", heading="Talk to us today")
        home.callback_form = own
        assert home.get_callback_form(rf.get("/")) == own


@pytest.mark.django_db
class TestNotFound:
    def test_404_renders_with_site_chrome(self, client, demo_site):
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        html = response.content.decode()
        assert "<h1>Page not found</h1>" in html
        assert '<header class="site-header">' in html
        assert "Northgate Data Claims" in html
        assert 'content="noindex"' in html

    def test_robots_txt_blocks_admin_and_names_sitemap(self, client, demo_site):
        response = client.get("/robots.txt")
        assert response.status_code == 200
        body = response.content.decode()
        assert "Disallow: /admin/" in body
        assert "Sitemap: http://testserver/sitemap.xml" in body


@pytest.mark.django_db
class TestAdminOffline:
    def test_admin_login_page_loads_nothing_from_other_hosts(self, client, demo_site):
        response = client.get("/admin/login/")
        assert response.status_code == 200
        html = response.content.decode()
        # What the browser fetches by itself: src attributes and <link href> (links a person
        # may choose to follow are not fetched).
        loaded = re.findall(r'\ssrc="([^"]*)"', html) + re.findall(
            r'<link[^>]*\shref="([^"]*)"', html
        )
        assert loaded, "expected the admin to load its own scripts and styles"
        external = [url for url in loaded if url.startswith(("http://", "https://", "//"))]
        assert external == []

    def test_admin_dashboard_renders_for_superuser(self, client, demo_site, django_user_model):
        user = django_user_model.objects.create_superuser("boss", "boss@example.test", "pw")
        sign_in_with_second_factor(client, user)
        html = client.get("/admin/").content.decode()
        assert "gravatar" not in html
        assert "releases.wagtail.org" not in html


@pytest.mark.django_db
def test_500_page_renders_without_a_database_or_context(client, settings):
    from django.template.loader import render_to_string

    html = render_to_string("500.html")
    assert "<h1>Something went wrong</h1>" in html
    assert "Nothing you sent has been lost" in html
