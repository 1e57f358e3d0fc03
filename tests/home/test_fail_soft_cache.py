"""The site with Redis gone: a private redis-server that each test kills, freezes or restarts
under the production cache backend (home/page_cache/backend.py).

What a reader sees (every public page answers), what an editor sees (publishing works), what
the claims team gets (the lead is stored) and, once Redis is back, that nothing purged during
the outage is served in its old form, whether Redis kept its data or came back empty.
"""

import logging
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client

from breaches.models import BreachCaseStudyPage
from home.consent.groups import CACHE_KEY as CONSENT_GROUPS_KEY
from home.consent.groups import all_groups
from home.models import SiteSettings, StandardPage
from home.page_cache import MissedPurge, local
from home.page_cache.backend import forget_breakers
from leads.models import Lead
from tests.fault_services import REDIS_RETRY_SECONDS
from tests.leads.helpers import submit_from
from tests.second_factor import sign_in_with_second_factor


def breaker():
    return cache.breaker


def wait_out_the_breaker():
    time.sleep(REDIS_RETRY_SECONDS + 0.1)


def get(path, **extra):
    response = Client().get(path, **extra)
    return response, response.get("X-Cache"), response.content.decode()


def publish(page):
    page.save_revision().publish()


@pytest.fixture
def about(demo_site):
    return StandardPage.objects.get(slug="about")


@pytest.mark.django_db
class TestReadersWhileRedisIsDown:
    def test_every_public_page_answers_from_the_database(self, demo_site, redis_cache):
        case_study = BreachCaseStudyPage.objects.live().first()
        freephone = SiteSettings.objects.get(site=demo_site).freephone
        redis_cache.kill()
        for path in ("/", "/case-studies/", case_study.url, "/search/?q=breach", "/cookies/"):
            response, state, body = get(path)
            assert response.status_code == 200, path
            assert state == "BYPASS", path
            assert freephone.replace(" ", "")[-6:] in body.replace(" ", ""), path

    def test_one_warning_per_outage_and_no_request_waits_on_redis_meanwhile(
        self, demo_site, redis_cache, caplog, settings
    ):
        settings.PAGE_CACHE_REDIS_RETRY_SECONDS = 60
        redis_cache.freeze()  # accepts connections, never answers: every try costs a timeout
        with caplog.at_level(logging.WARNING, logger="home.page_cache.backend"):
            for _ in range(10):
                assert get("/about/")[0].status_code == 200
        # Only the first request paid a timeout; the rest did not try Redis at all.
        assert breaker().failures == 1
        outage_lines = [r for r in caplog.records if r.name == "home.page_cache.backend"]
        assert len(outage_lines) == 1
        assert "unreachable" in outage_lines[0].getMessage()
        redis_cache.thaw()

    def test_redis_is_tried_again_after_the_wait_and_used_once_it_answers(
        self, demo_site, redis_cache
    ):
        redis_cache.kill()
        assert get("/about/")[1] == "BYPASS"
        redis_cache.start()
        wait_out_the_breaker()
        assert get("/about/")[1] == "MISS"
        assert get("/about/")[1] == "HIT"
        assert not breaker().is_down


@pytest.mark.django_db
class TestNoStalePageAfterRecovery:
    def test_redis_that_kept_its_data_never_serves_a_page_published_meanwhile(
        self, about, redis_cache
    ):
        get("/about/")
        assert get("/about/")[1] == "HIT"
        redis_cache.freeze()  # unreachable, and keeps the old page and tokens
        about.title = "About the firm, revised"
        publish(about)  # the editor's publish works
        assert MissedPurge.objects.exists()
        redis_cache.thaw()
        wait_out_the_breaker()
        response, state, body = get("/about/")
        assert "<h1>About the firm, revised</h1>" in body
        assert state == "MISS"
        assert not MissedPurge.objects.exists()

    def test_redis_restarted_empty_serves_the_new_page(self, about, redis_cache):
        get("/about/")
        redis_cache.kill()
        about.title = "About the firm, again"
        publish(about)
        redis_cache.start()
        wait_out_the_breaker()
        assert "<h1>About the firm, again</h1>" in get("/about/")[2]

    def test_a_process_started_after_the_outage_makes_up_for_a_purge_it_never_saw(
        self, about, redis_cache
    ):
        get("/about/")
        assert get("/about/")[1] == "HIT"
        # What a process that published during an outage and then died leaves behind: the
        # page changed in the database, its purge recorded as missed, Redis as it was.
        StandardPage.objects.filter(pk=about.pk).update(title="About us, changed")
        MissedPurge.objects.create()
        # This process now knows no more than a newly started one.
        forget_breakers()
        local.existing_local_layer().clear()
        response, state, body = get("/about/")
        assert "<h1>About us, changed</h1>" in body
        assert not MissedPurge.objects.exists()

    def test_cookie_groups_cached_before_the_outage_are_forgotten_after_it(
        self, demo_site, redis_cache
    ):
        all_groups()
        assert cache.get(CONSENT_GROUPS_KEY) is not None
        redis_cache.freeze()
        get("/about/")
        assert breaker().is_down
        redis_cache.thaw()
        wait_out_the_breaker()
        assert cache.get(CONSENT_GROUPS_KEY) is None


@pytest.mark.django_db
def test_the_call_back_form_takes_leads_while_redis_is_down(demo_site, redis_cache, settings):
    settings.LEADS_MIN_FILL_SECONDS = 0
    html = get("/")[2]
    redis_cache.kill()
    response = submit_from(Client(), html)
    assert response.status_code == 303
    assert response["Location"].endswith("?callback=sent#callback")
    lead = Lead.objects.get()
    assert lead.email == "zoe@example.com"
    assert not lead.is_spam


@pytest.mark.django_db
def test_the_admin_works_while_redis_is_down(about, redis_cache):
    editor = get_user_model().objects.create_superuser("ed", "ed@example.test", "x" * 16)
    client = sign_in_with_second_factor(Client(), editor)
    redis_cache.kill()
    assert client.get("/admin/").status_code == 200
    assert client.get(f"/admin/pages/{about.pk}/edit/").status_code == 200
    assert client.get("/admin/snippets/").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_first_cache_use_inside_a_migration_leaves_its_transaction_usable(redis_cache):
    # A fresh database migrates with REDIS_URL set: the first cache use (a data migration
    # saving cookie groups) comes before the table of missed purges exists. PostgreSQL aborts
    # a transaction at its first failed query, so the look-up must not fail the migration's.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE home_missedpurge")
        forget_breakers()
        cache.get("anything")
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        transaction.set_rollback(True)  # puts the table back
    assert not MissedPurge.objects.exists()
