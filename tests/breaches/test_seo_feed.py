import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from breaches.models import BreachCaseStudyPage, BreachType
from breaches.templatetags.seo_tags import json_ld_script


def _json_ld(html):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


def _meta(html, attribute, name):
    match = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', html)
    return match.group(1) if match else None


@pytest.fixture
def wmp(index):
    return BreachCaseStudyPage.objects.get(slug="west-midlands-police-data-breaches")


@pytest.mark.django_db
class TestSeoHead:
    def test_case_study_has_article_and_breadcrumbs(self, client, wmp):
        html = client.get(wmp.url).content.decode()
        article, breadcrumbs = _json_ld(html)
        assert article["@type"] == "Article"
        assert article["headline"] == wmp.title
        assert article["datePublished"] == "2022-03-14"
        assert article["publisher"]["name"] == "Northgate Data Claims"
        assert article["image"][0].startswith("http://testserver/media/")
        assert breadcrumbs["@type"] == "BreadcrumbList"
        names = [item["name"] for item in breadcrumbs["itemListElement"]]
        assert names == ["Home", "Data breach case studies", wmp.title]
        assert breadcrumbs["itemListElement"][-1]["item"] == wmp.full_url
        assert '<nav class="breadcrumbs container" aria-label="Breadcrumb">' in html

    def test_canonical_description_and_social_tags(self, client, wmp):
        html = client.get(wmp.url).content.decode()
        assert f'<link rel="canonical" href="{wmp.full_url}">' in html
        assert _meta(html, "name", "description") == wmp.summary
        assert _meta(html, "property", "og:title") == wmp.title
        assert _meta(html, "property", "og:type") == "article"
        image = _meta(html, "property", "og:image")
        assert image.endswith(".jpg") and "fill-1200x630" in image
        assert _meta(html, "name", "twitter:card") == "summary_large_image"
        assert _meta(html, "name", "twitter:image") == image

    def test_search_description_wins_over_summary(self, client, wmp):
        wmp.search_description = "Written for search engines."
        wmp.save_revision().publish()
        html = client.get(wmp.url).content.decode()
        assert _meta(html, "name", "description") == "Written for search engines."
        assert _json_ld(html)[0]["description"] == "Written for search engines."

    def test_script_end_tag_in_a_title_cannot_escape(self, client, wmp):
        hostile = 'Breach </script><script>alert("x")</script> & <!-- more'
        wmp.title = hostile
        wmp.save_revision().publish()
        html = client.get(wmp.url).content.decode()
        head = html[: html.index("</head>")]
        assert "<script>alert" not in html
        assert head.count("</script>") == 2  # exactly the two JSON-LD elements end
        assert _json_ld(html)[0]["headline"] == hostile
        assert "\\u003C/script\\u003E" in head

    def test_json_ld_script_escapes_like_json_script(self):
        out = json_ld_script({"a": "</script>&<!--"})
        assert out == (
            '<script type="application/ld+json">{"a": "\\u003C/script\\u003E\\u0026\\u003C!--"}'
            "</script>"
        )

    def test_home_page_describes_the_firm_as_a_legal_service(self, client, demo_site):
        html = client.get("/").content.decode()
        (firm,) = _json_ld(html)
        assert firm["@type"] == "LegalService"
        assert firm["name"] == "Northgate Data Claims"
        assert firm["telephone"] == "+448081570192"
        assert _meta(html, "property", "og:type") == "website"
        assert _meta(html, "name", "twitter:card") == "summary"
        assert _meta(html, "name", "description").startswith("Specialist help")

    def test_standard_page_falls_back_to_its_intro(self, client, demo_site):
        html = client.get("/about/").content.decode()
        assert _meta(html, "name", "description") == (
            "Who we are and how we help people affected by data breaches."
        )
        assert _json_ld(html) == []

    def test_index_pages_canonical(self, client, index):
        html = client.get("/case-studies/?type=lost-devices").content.decode()
        assert f'<link rel="canonical" href="{index.full_url}">' in html


@pytest.mark.django_db
class TestFeedAndSitemap:
    def test_feed_lists_live_case_studies_newest_first(self, client, index, case_study_factory):
        case_study_factory(title="Still a draft", publish=False)
        response = client.get("/case-studies/feed/")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/rss+xml")
        channel = ET.fromstring(response.content).find("channel")  # noqa: S314 - our own output
        titles = [item.findtext("title") for item in channel.findall("item")]
        live = BreachCaseStudyPage.objects.live().order_by("-published_date")
        assert titles == [page.title for page in live]
        first = channel.find("item")
        wmp = BreachCaseStudyPage.objects.get(slug="west-midlands-police-data-breaches")
        wmp_item = channel.findall("item")[titles.index(wmp.title)]
        assert wmp_item.findtext("link") == wmp.full_url
        assert wmp_item.findtext("description") == wmp.summary
        assert "Insecure email" in [c.text for c in wmp_item.findall("category")]
        assert first.findtext("pubDate")
        assert "Still a draft" not in titles

    def test_the_feed_costs_the_same_for_few_or_many_case_studies(
        self, client, index, case_study_factory
    ):
        def queries():
            client.get("/case-studies/feed/")
            with CaptureQueriesContext(connection) as captured:
                assert client.get("/case-studies/feed/").status_code == 200
            return len(captured)

        few = queries()
        kind = BreachType.objects.create(name="Feed type")
        for n in range(8):
            case_study_factory(title=f"Feed {n}", breach_types=[kind])
        assert queries() == few

    def test_index_links_to_its_feed(self, client, index):
        html = client.get("/case-studies/").content.decode()
        assert 'type="application/rss+xml"' in html
        assert 'href="/case-studies/feed/"' in html

    def test_sitemap_lists_live_case_studies_only(self, client, index, case_study_factory):
        draft = case_study_factory(title="Hidden draft", publish=False)
        response = client.get("/sitemap.xml")
        assert response.status_code == 200
        namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
        tree = ET.fromstring(response.content)  # noqa: S314 - our own output
        locations = [loc.text for loc in tree.findall("s:url/s:loc", namespace)]
        for page in BreachCaseStudyPage.objects.live():
            assert page.full_url in locations
        assert index.full_url in locations
        assert all("hidden-draft" not in loc for loc in locations)
        assert draft.slug not in response.content.decode()

    def test_robots_txt_points_at_the_sitemap(self, client, demo_site):
        assert (
            "Sitemap: http://testserver/sitemap.xml" in client.get("/robots.txt").content.decode()
        )


@pytest.mark.django_db
class TestImages:
    def test_hero_is_responsive_and_eager_cards_are_lazy(self, client, index):
        wmp = BreachCaseStudyPage.objects.get(slug="west-midlands-police-data-breaches")
        html = client.get(wmp.url).content.decode()
        hero = re.search(r'<figure class="case-study__hero">(.*?)</figure>', html, re.S).group(1)
        assert '<source sizes="' in hero and 'type="image/webp"' in hero
        assert 'width="480"' in hero and 'height="270"' in hero
        assert 'loading="lazy"' not in hero
        related = html[html.index('id="related-heading"') :]
        images = re.findall(r"<img [^>]*>", related)
        assert len(images) == 3
        assert all(
            'loading="lazy"' in img and "width=" in img and "height=" in img for img in images
        )
