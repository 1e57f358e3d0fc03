"""Views the edge cache serves without the app are counted from its log, and only those: a
reader's first request (a miss, counted by the app) and later ones (hits, from varnishncsa)
add up to exactly one view each. Debian's varnishd with deploy/varnish/site.vcl as shipped
(tests/edge_services.py) in front of Django's live server."""

import shutil
import subprocess

import pytest
import requests

from breaches.models import BreachCaseStudyPage
from leads.conversion import count_edge_lines, edge_log_format
from leads.models import PageViewDay
from tests.leads.conversion import DESKTOP, GOOGLEBOT, empty_tally, folded_views

pytestmark = [pytest.mark.varnish, pytest.mark.django_db(transaction=True)]

VARNISHNCSA = shutil.which("varnishncsa") or "/usr/bin/varnishncsa"


def get(varnish, path, agent=DESKTOP, method="GET"):
    return requests.request(
        method,
        varnish.url + path,
        headers={"Host": "testserver", "User-Agent": agent},
        allow_redirects=False,
        timeout=30,
    )


def edge_log(varnish):
    """What varnishncsa wrote for the requests so far, in the format count_edge_log reads."""
    return subprocess.run(
        [VARNISHNCSA, "-d", "-n", str(varnish.dir / "work"), "-F", edge_log_format()],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.splitlines()


def test_edge_hits_from_the_log_and_app_renders_add_up_to_one_each(varnish, demo_site, settings):
    settings.LEADS_COUNT_REDIS_URL = ""
    empty_tally()
    case_study = BreachCaseStudyPage.objects.live().first()
    path = case_study.url
    first = get(varnish, path)
    assert first.headers["X-Edge-Cache"] == "MISS"  # the app rendered and counted it
    assert get(varnish, path).headers["X-Edge-Cache"] == "HIT"
    tagged = get(varnish, path + "?utm_source=news&utm_medium=email&utm_campaign=spring")
    assert tagged.headers["X-Edge-Cache"] == "HIT"
    assert get(varnish, path, agent=GOOGLEBOT).status_code == 200
    assert get(varnish, path, method="HEAD").status_code == 200

    lines = edge_log(varnish)
    # Two hits by readers; the miss is the app's, the crawler and the HEAD are nobody's.
    assert count_edge_lines(lines) == 2
    assert folded_views(page=case_study) == 3
    campaign = PageViewDay.objects.get(page=case_study, utm_source="news")
    assert (campaign.utm_medium, campaign.utm_campaign, campaign.views) == ("email", "spring", 1)
    assert "?" not in campaign.path
