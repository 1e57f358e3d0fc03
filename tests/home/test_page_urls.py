"""`{% pageurl %}` and the SEO head's full URLs from home/templatetags/page_urls.py: Wagtail's
URLs, worked out once per site snapshot and worked out again after any publish or move."""

import json
import re
from unittest import mock

import pytest
from django.template import engines
from django.test import Client, RequestFactory, override_settings
from wagtail.models import Page

from breaches.models import BreachCaseStudyPage, BreachIndexPage

CASE_STUDY = "/case-studies/west-midlands-police-data-breaches/"
# Served by a process with the site snapshot but outside the page cache and shared fragments,
# so every request renders the whole page.
RENDERED = {"PAGE_CACHE_ENABLED": False}


def _render(library, page, request):
    template = engines["django"].from_string(f"{{% load {library} %}}{{% pageurl page %}}")
    return template.render({"page": page, "request": request})


def body(path):
    with override_settings(**RENDERED):
        response = Client().get(path)
    assert response.status_code == 200
    return response.content.decode()


def json_ld(html):
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(script) for script in scripts]


@pytest.mark.django_db
class TestSameAsWagtail:
    def test_every_page_gets_wagtails_url(self, demo_site):
        request = RequestFactory().get("/", HTTP_HOST=demo_site.hostname)
        for page in Page.objects.all().specific():
            assert _render("page_urls", page, request) == _render(
                "wagtailcore_tags", page, request
            ), page.url_path

    def test_without_a_request(self, demo_site):
        page = BreachIndexPage.objects.get()
        assert _render("page_urls", page, None) == _render("wagtailcore_tags", page, None)

    def test_routable_page_urls(self, demo_site):
        request = RequestFactory().get("/", HTTP_HOST=demo_site.hostname)
        page = BreachIndexPage.objects.get()
        tag = "{% routablepageurl page 'feed' %}"
        ours = engines["django"].from_string("{% load page_urls %}" + tag)
        wagtails = engines["django"].from_string("{% load wagtailroutablepage_tags %}" + tag)
        context = {"page": page, "request": request}
        assert ours.render(context) == wagtails.render(context) == "/case-studies/feed/"

    def test_a_fallback_and_a_non_page(self, demo_site):
        fallback = engines["django"].from_string(
            "{% load page_urls %}{% pageurl None fallback='/elsewhere/' %}"
        )
        assert fallback.render({}) == "/elsewhere/"
        with pytest.raises(ValueError, match="expected a Page"):
            _render("page_urls", "not a page", None)


@pytest.mark.django_db
class TestKeptWithTheSnapshot:
    def test_a_page_render_asks_wagtail_once_per_page_shown(self, demo_site):
        body(CASE_STUDY)  # the snapshot and its URLs, as in a running server
        original = Page.get_url_parts
        with mock.patch.object(Page, "get_url_parts", autospec=True, side_effect=original) as asked:
            html = body(CASE_STUDY)
        # Only the call-back form's token asks, for the page it is on (leads/security.py).
        assert [call.args[0].url_path for call in asked.call_args_list] == [f"/home{CASE_STUDY}"]
        assert 'href="/case-studies/"' in html

    def test_a_renamed_index_changes_every_link_and_the_json_ld_at_once(self, demo_site):
        before = body(CASE_STUDY)
        assert 'href="/case-studies/"' in before
        index = BreachIndexPage.objects.get()
        index.slug = "breaches"
        index.save_revision().publish()
        moved = CASE_STUDY.replace("/case-studies/", "/breaches/")
        html = body(moved)
        assert 'href="/case-studies/' not in html
        assert f'href="{moved}"' in html  # the breadcrumb's link to the page itself
        article, breadcrumbs = json_ld(html)
        assert article["url"].endswith(moved)
        assert breadcrumbs["itemListElement"][1]["item"].endswith("/breaches/")
        canonical = re.search(r'<link rel="canonical" href="([^"]+)"', html).group(1)
        assert canonical.endswith(moved)

    def test_a_renamed_index_links_its_feed_at_the_new_address(self, demo_site):
        assert 'href="/case-studies/feed/"' in body("/case-studies/")
        index = BreachIndexPage.objects.get()
        index.slug = "breaches"
        index.save_revision().publish()
        html = body("/breaches/")
        assert 'href="/breaches/feed/"' in html
        assert "/case-studies/" not in html

    def test_a_related_case_study_moved_away_is_linked_at_its_new_address(self, demo_site):
        html = body(CASE_STUDY)
        first = re.findall(
            r'class="case-card__title"><a href="([^"]+)"',
            html[html.index('id="related-heading"') :],
        )[0]
        page = BreachCaseStudyPage.objects.get(url_path__endswith=first)
        page.slug = f"{page.slug}-renamed"
        page.save_revision().publish()
        assert f'href="{first}"' not in body(CASE_STUDY)
        assert f'href="{first[:-1]}-renamed/"' in body(CASE_STUDY)
