"""The page cache: what it serves, what it never serves, and what purges it.

Every assertion is about what a visitor receives (the body and the X-Cache header) after a
real request through the whole middleware stack.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from wagtail.models import Page, PageViewRestriction

from home import page_cache
from home.models import SiteSettings, StandardPage
from home.page_cache import keys, local, signals
from tests.home import page_cache_urls
from tests.home.redis_processes import REDIS_URL, in_other_process
from tests.second_factor import sign_in_with_second_factor


@pytest.fixture
def test_urls(settings):
    settings.ROOT_URLCONF = "tests.home.page_cache_urls"
    page_cache_urls.RENDERS["count"] = 0


@pytest.fixture
def editor(db):
    return get_user_model().objects.create_superuser("editor", "editor@example.test", "x" * 16)


def get(client, path, **extra):
    response = client.get(path, **extra)
    return response, response.get("X-Cache"), response.content.decode()


def publish(page):
    page.save_revision().publish()


# --------------------------------------------------------------------------------------------
# Hits and misses


@pytest.mark.django_db
class TestHitAndMiss:
    def test_second_anonymous_request_is_a_hit_with_the_same_page(self, client, demo_site):
        first, state1, body1 = get(client, "/about/")
        second, state2, body2 = get(Client(), "/about/")
        assert (first.status_code, state1) == (200, "MISS")
        assert (second.status_code, state2) == (200, "HIT")
        assert body1 == body2
        assert "<h1>About us</h1>" in body2

    def test_a_hit_costs_no_database_query(self, client, demo_site, django_assert_num_queries):
        get(client, "/")
        with django_assert_num_queries(0):
            response, state, _ = get(Client(), "/")
        assert state == "HIT"

    def test_headers_fit_for_a_cdn(self, client, demo_site):
        response, _, _ = get(client, "/")
        cache_control = response["Cache-Control"]
        for directive in ("public", "max-age=30", "s-maxage=60", "stale-while-revalidate=60"):
            assert directive in cache_control
        assert "Cookie" in response["Vary"]
        hit, state, _ = get(Client(), "/")
        assert state == "HIT"
        assert hit["Cache-Control"] == cache_control
        assert "Set-Cookie" not in hit

    def test_a_hit_keeps_the_security_headers(self, client, demo_site):
        miss, _, _ = get(client, "/")
        hit, state, _ = get(Client(), "/")
        assert state == "HIT"
        for header in ("X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"):
            assert hit[header] == miss[header], header

    def test_plain_http_is_never_answered_with_the_https_page(self, demo_site, settings):
        settings.SECURE_SSL_REDIRECT = True
        settings.SECURE_HSTS_SECONDS = 3600
        secure = Client()
        get(secure, "/", secure=True)
        hit, state, _ = get(secure, "/", secure=True)
        assert (hit.status_code, state) == (200, "HIT")
        assert "Strict-Transport-Security" in hit
        for _ in range(2):
            plain, state, _ = get(Client(), "/")
            assert (plain.status_code, state) == (301, "BYPASS")
            assert plain["Location"] == "https://testserver/"

    def test_revalidation_with_the_etag_returns_304(self, client, demo_site):
        etag = get(client, "/")[0]["ETag"]
        response = Client().get("/", HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 304
        assert response["X-Cache"] == "HIT"
        assert response.content == b""

    def test_head_is_served_from_the_cache_but_never_fills_it(self, client, demo_site):
        assert client.head("/about/")["X-Cache"] == "BYPASS"
        assert get(client, "/about/")[1] == "MISS"
        assert client.head("/about/")["X-Cache"] == "HIT"

    def test_tracking_parameters_share_the_plain_pages_entry(self, client, demo_site):
        get(client, "/about/")
        _, state, body = get(client, "/about/?utm_source=news&utm_campaign=x&gclid=1&fbclid=2")
        assert state == "HIT"
        assert "<h1>About us</h1>" in body

    def test_a_page_first_rendered_with_tracking_parameters_is_stored_without_them(
        self, client, demo_site
    ):
        # The page never sees them (home/page_cache/query.py), so its copy is everyone's.
        _, state, body = get(client, "/about/?utm_source=mailing&r=1")
        assert state == "MISS"
        assert "mailing" not in body
        _, state, body = get(client, "/about/")
        assert state == "HIT"
        assert "<h1>About us</h1>" in body

    def test_parameters_a_page_does_not_read_share_the_plain_pages_entry(self, client, demo_site):
        assert get(client, "/about/")[1] == "MISS"
        for query in ("?b=2&a=1", "?a=1%26b%3D2", "?a=1&b=2&c=3&d=4&e=5", "?x=" + "y" * 300):
            _, state, body = get(client, "/about/" + query)
            assert state == "HIT", query
            assert "<h1>About us</h1>" in body

    def test_a_declared_parameter_gets_its_own_entry_whatever_comes_with_it(
        self, client, demo_site
    ):
        assert get(client, "/?callback=sent")[1] == "MISS"
        assert get(client, "/?r=1&callback=sent")[1] == "HIT"
        assert get(client, "/")[1] == "MISS"
        assert get(client, "/?callback=other&r=2")[1] == "MISS"
        assert get(client, "/?callback=other")[1] == "HIT"

    def test_a_view_that_declares_nothing_is_not_stored_with_a_query_string(
        self, client, demo_site, test_urls
    ):
        assert get(client, "/t/plain/?a=1")[1] == "BYPASS"
        assert get(client, "/t/plain/?a=1")[1] == "BYPASS"
        _, state, body = get(client, "/t/plain/?utm_source=x")
        assert (state, "render=3" in body) == ("BYPASS", True)
        assert get(client, "/t/plain/")[1] == "MISS"
        assert get(client, "/t/plain/?a=1")[1] == "BYPASS"
        assert get(client, "/t/plain/?gclid=1")[1] == "HIT"

    def test_hosts_are_separate_entries(self, client, demo_site):
        assert get(client, "/about/", HTTP_HOST="localhost")[1] == "MISS"
        assert get(client, "/about/", HTTP_HOST="127.0.0.1")[1] == "MISS"
        assert get(client, "/about/", HTTP_HOST="localhost")[1] == "HIT"

    def test_no_request_header_bypasses_only_configuration_does(self, client, demo_site, settings):
        get(client, "/")
        assert get(client, "/", HTTP_X_BENCH_BYPASS="1")[1] == "HIT"
        # A server set not to serve any path from the cache (as the benchmark's uncached one).
        settings.PAGE_CACHE_SKIP_PATHS = ("/",)
        assert get(client, "/", HTTP_X_BENCH_BYPASS="1")[1] == "BYPASS"

    def test_disabled_cache_serves_everything_fresh(self, client, demo_site, settings):
        settings.PAGE_CACHE_ENABLED = False
        assert get(client, "/")[1] == "BYPASS"
        assert get(client, "/")[1] == "BYPASS"


# --------------------------------------------------------------------------------------------
# Never cached


@pytest.mark.django_db
class TestNeverCached:
    def test_admin(self, client, demo_site):
        response, state, _ = get(client, "/admin/login/")
        assert state == "BYPASS"
        assert get(client, "/admin/login/")[1] == "BYPASS"
        assert "no-cache" in response["Cache-Control"] or "private" in response["Cache-Control"]

    def test_admin_preview_of_a_draft_is_never_shown_to_readers(self, client, demo_site, editor):
        about = StandardPage.objects.get(slug="about")
        get(Client(), "/about/")
        about.title = "Draft title nobody may see yet"
        about.save_revision()
        sign_in_with_second_factor(client, editor)
        preview = client.get(f"/admin/pages/{about.pk}/edit/preview/")
        assert preview.status_code == 200
        assert preview["X-Cache"] == "BYPASS"
        _, state, body = get(Client(), "/about/")
        assert "Draft title nobody may see yet" not in body
        assert state == "HIT"

    def test_search_with_a_query_and_consent_pages(self, client, demo_site):
        assert get(client, "/search/?q=breach")[1] == "BYPASS"
        assert get(client, "/search/?q=breach")[1] == "BYPASS"
        assert get(client, "/cookies/")[1] == "BYPASS"

    def test_post_is_never_stored_or_answered_from_the_cache(self, client, demo_site):
        get(client, "/about/")
        response = client.post("/about/", {"full_name": "Alice"})
        assert response["X-Cache"] == "BYPASS"

    def test_not_found_is_not_stored(self, client, demo_site):
        response, state, _ = get(client, "/no-such-page/")
        assert (response.status_code, state) == (404, "BYPASS")
        assert get(client, "/no-such-page/")[1] == "BYPASS"

    def test_password_protected_page_is_never_stored(self, client, demo_site):
        about = StandardPage.objects.get(slug="about")
        PageViewRestriction.objects.create(
            page=about, restriction_type=PageViewRestriction.PASSWORD, password="letmein"
        )
        for _ in range(2):
            response, state, body = get(Client(), "/about/")
            assert state == "BYPASS"
            assert "Who we are" not in body
            assert 'name="password"' in body

    def test_a_page_carrying_a_csrf_token(self, client, demo_site, test_urls):
        _, state1, body1 = get(client, "/t/csrf/")
        _, state2, body2 = get(Client(), "/t/csrf/")
        assert (state1, state2) == ("BYPASS", "BYPASS")
        token = body1.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        assert token not in body2

    def test_a_response_setting_a_cookie(self, client, demo_site, test_urls):
        assert get(client, "/t/cookie/")[1] == "BYPASS"
        _, state, body = get(Client(), "/t/cookie/")
        assert state == "BYPASS"
        assert "render=2" in body

    def test_a_response_marked_private(self, client, demo_site, test_urls):
        get(client, "/t/private/")
        _, state, body = get(Client(), "/t/private/")
        assert state == "BYPASS"
        assert "render=2" in body

    def test_a_view_can_keep_its_response_out_of_the_cache(self, client, demo_site, test_urls):
        get(client, "/t/marked/")
        response, state, body = get(Client(), "/t/marked/")
        assert state == "BYPASS"
        assert "render=2" in body
        assert response["Cache-Control"] == "private, no-cache"

    def test_a_plain_view_is_cached_which_is_what_the_others_are_compared_with(
        self, client, demo_site, test_urls
    ):
        get(client, "/t/plain/")
        _, state, body = get(Client(), "/t/plain/")
        assert state == "HIT"
        assert "render=1" in body


# --------------------------------------------------------------------------------------------
# Two visitors never see each other's pages


@pytest.mark.django_db
class TestVisitorsAreKeptApart:
    def test_logged_in_page_is_never_served_to_an_anonymous_reader(self, client, demo_site, editor):
        client.force_login(editor)
        _, state, body = get(client, "/")
        assert state == "BYPASS"
        assert "<wagtail-userbar" in body
        for _ in range(2):
            _, anon_state, anon_body = get(Client(), "/")
            assert "<wagtail-userbar" not in anon_body
        assert anon_state == "HIT"

    def test_cached_anonymous_page_is_never_served_to_a_logged_in_user(
        self, client, demo_site, editor
    ):
        get(Client(), "/")
        assert get(Client(), "/")[1] == "HIT"
        client.force_login(editor)
        response, state, body = get(client, "/")
        assert state == "BYPASS"
        assert "<wagtail-userbar" in body
        assert response["Cache-Control"] == "private, no-cache"

    def test_names_stay_with_their_owner(self, client, demo_site, editor, test_urls):
        client.force_login(editor)
        assert "Hello editor" in get(client, "/t/whoami/")[2]
        anon = Client()
        for _ in range(2):
            assert "Hello anonymous" in get(anon, "/t/whoami/")[2]
        assert "Hello editor" in get(client, "/t/whoami/")[2]

    def test_a_flash_message_after_a_form_stays_with_its_reader(self, demo_site, test_urls):
        other = Client()
        get(other, "/t/whoami/")  # the plain page is now cached
        alice = Client()
        response = alice.get("/t/flash/", follow=True)
        assert response["X-Cache"] == "BYPASS"
        assert "Thank you, Alice" in response.content.decode()
        _, state, body = get(other, "/t/whoami/")
        assert state == "HIT"
        assert "Alice" not in body

    def test_consent_choices_get_their_own_entries(self, demo_site):
        accepted = Client()
        accepted.cookies["cookie_consent"] = "analytics=2026-01-01T00:00:00|marketing=-1"
        declined = Client()
        declined.cookies["cookie_consent"] = "analytics=-1|marketing=-1"
        assert get(Client(), "/")[1] == "MISS"
        assert get(accepted, "/")[1] == "MISS"
        assert get(declined, "/")[1] == "MISS"
        assert get(accepted, "/")[1] == "HIT"
        same_choice = Client()
        same_choice.cookies["cookie_consent"] = "marketing=-1|analytics=2026-01-01T00:00:00"
        assert get(same_choice, "/")[1] == "HIT"

    def test_an_odd_consent_cookie_bypasses(self, demo_site):
        odd = Client()
        odd.cookies["cookie_consent"] = "<script>"
        assert get(odd, "/")[1] == "BYPASS"


# --------------------------------------------------------------------------------------------
# Purges


@pytest.fixture
def warm(demo_site):
    def _warm(*paths):
        for path in paths:
            get(Client(), path)
            assert get(Client(), path)[1] == "HIT", path

    return _warm


@pytest.mark.django_db
class TestPurges:
    def test_publishing_purges_the_page_its_parent_home_and_sitemap(
        self, warm, django_capture_on_commit_callbacks
    ):
        warm("/about/", "/", "/sitemap.xml", "/privacy-policy/")
        about = StandardPage.objects.get(slug="about")
        about.title = "About the firm"
        with django_capture_on_commit_callbacks(execute=True):
            publish(about)
        _, state, body = get(Client(), "/about/")
        assert (state, "<h1>About the firm</h1>" in body) == ("MISS", True)
        _, state, body = get(Client(), "/")
        assert (state, "About the firm" in body) == ("MISS", True)
        assert get(Client(), "/sitemap.xml")[1] == "MISS"
        # Unrelated pages keep their entries.
        assert get(Client(), "/privacy-policy/")[1] == "HIT"

    def test_publishing_a_new_child_purges_its_parent(self, warm):
        warm("/about/", "/")
        about = StandardPage.objects.get(slug="about")
        child = StandardPage(title="Our team", slug="team", intro="The people.")
        about.add_child(instance=child)
        publish(child)
        assert get(Client(), "/about/")[1] == "MISS"
        assert get(Client(), "/about/team/")[2].count("Our team") >= 1

    def test_unpublishing_purges(self, warm):
        warm("/about/", "/")
        StandardPage.objects.get(slug="about").unpublish()
        response, state, _ = get(Client(), "/about/")
        assert (response.status_code, state) == (404, "BYPASS")
        _, state, body = get(Client(), "/")
        assert state == "MISS"
        assert 'href="/about/"' not in body

    def test_moving_purges_old_and_new_addresses_and_both_parents(self, warm):
        about = StandardPage.objects.get(slug="about")
        team = StandardPage(title="Our team", slug="team", intro="The people.")
        about.add_child(instance=team)
        publish(team)
        warm("/about/team/", "/about/", "/privacy-policy/", "/")
        team.refresh_from_db()
        team.move(StandardPage.objects.get(slug="privacy-policy"), pos="last-child")
        # Wagtail leaves a redirect at the old address; what matters is no cached old page.
        old, state, _ = get(Client(), "/about/team/")
        assert (old.status_code, state) == (301, "BYPASS")
        assert old["Location"].endswith("/privacy-policy/team/")
        assert get(Client(), "/privacy-policy/team/")[0].status_code == 200
        assert get(Client(), "/about/")[1] == "MISS"
        assert get(Client(), "/privacy-policy/")[1] == "MISS"

    def test_moving_purges_the_subtree_old_addresses(self, warm):
        about = StandardPage.objects.get(slug="about")
        team = StandardPage(title="Our team", slug="team", intro="The people.")
        about.add_child(instance=team)
        alice = StandardPage(title="Alice Smith", slug="alice", intro="Solicitor.")
        team.add_child(instance=alice)
        warm("/about/team/alice/")
        team.refresh_from_db()
        team.move(StandardPage.objects.get(slug="privacy-policy"), pos="last-child")
        old, state, _ = get(Client(), "/about/team/alice/")
        assert (old.status_code, state) == (301, "BYPASS")

    def test_changing_a_slug_purges_the_old_addresses_of_the_page_and_its_subtree(
        self, warm, django_capture_on_commit_callbacks
    ):
        about = StandardPage.objects.get(slug="about")
        team = StandardPage(title="Our team", slug="team", intro="The people.")
        about.add_child(instance=team)
        publish(team)
        warm("/about/", "/about/team/")
        about.refresh_from_db()
        about.slug = "about-the-firm"
        # Wagtail says the slug changed only once the transaction commits.
        with django_capture_on_commit_callbacks(execute=True):
            publish(about)
        for old_path, new_path in (
            ("/about/", "/about-the-firm/"),
            ("/about/team/", "/about-the-firm/team/"),
        ):
            old, state, _ = get(Client(), old_path)
            assert (old.status_code, state) == (301, "BYPASS"), old_path
            assert old["Location"].endswith(new_path)
            assert get(Client(), new_path)[0].status_code == 200

    def test_renaming_a_page_purges_the_pages_below_it_that_name_it(
        self, warm, django_capture_on_commit_callbacks
    ):
        from breaches.models import BreachCaseStudyPage, BreachIndexPage

        index = BreachIndexPage.objects.get()
        study = BreachCaseStudyPage.objects.live().child_of(index).first()
        warm(study.url, index.url)
        index.title = "Breach stories"
        with django_capture_on_commit_callbacks(execute=True):
            publish(index)
        _, state, body = get(Client(), study.url)
        assert state == "MISS"
        # The breadcrumb trail and the fact panel's link back name the index as it is now.
        assert body.count("Breach stories") >= 2
        assert get(Client(), study.url)[1] == "HIT"

    def test_deleting_purges_the_page_and_its_parent(self, warm):
        warm("/about/", "/")
        Page.objects.get(slug="about").delete()
        assert get(Client(), "/about/")[0].status_code == 404
        _, state, body = get(Client(), "/")
        assert state == "MISS"
        assert 'href="/about/"' not in body

    def test_deleting_a_page_purges_the_pages_below_it(self, warm):
        about = StandardPage.objects.get(slug="about")
        team = StandardPage(title="Our team", slug="team", intro="The people.")
        about.add_child(instance=team)
        publish(team)
        warm("/about/team/")
        Page.objects.get(slug="about").delete()
        gone, state, _ = get(Client(), "/about/team/")
        assert (gone.status_code, state) == (404, "BYPASS")

    def test_editing_site_settings_purges_every_page(self, warm, demo_site):
        warm("/", "/about/")
        site_settings = SiteSettings.for_site(demo_site)
        site_settings.firm_name = "Southgate Data Claims"
        site_settings.save()
        for path in ("/", "/about/"):
            _, state, body = get(Client(), path)
            assert state == "MISS"
            assert "Southgate Data Claims" in body

    def test_editing_the_call_back_form_snippet_purges_the_pages_that_show_it(self, warm):
        from leads.models import CallBackForm

        warm("/")
        form = CallBackForm.objects.get()
        form.heading = "Talk to a solicitor today"
        form.save()
        _, state, body = get(Client(), "/")
        assert state == "MISS"
        assert "Talk to a solicitor today" in body

    def test_which_models_purge_everything(self, db):
        assert signals.is_page_cache_model("home.SiteSettings")
        assert signals.is_page_cache_model("leads.CallBackForm")
        assert signals.is_page_cache_model("wagtailimages.Image")
        assert signals.is_page_cache_model("wagtailcore.Site")
        assert signals.is_page_cache_model("cookie_consent.CookieGroup")
        assert not signals.is_page_cache_model("wagtailcore.Revision")
        assert not signals.is_page_cache_model("auth.User")

    def test_uploading_an_image_does_not_purge_but_editing_one_does(self, warm):
        from wagtail.images.models import Image
        from wagtail.images.tests.utils import get_test_image_file

        warm("/")
        image = Image.objects.create(title="Breach", file=get_test_image_file())
        assert get(Client(), "/")[1] == "HIT"
        image.title = "Breach notice"
        image.save()
        assert get(Client(), "/")[1] == "MISS"

    def test_editing_a_cookie_group_purges_every_page(self, warm):
        from cookie_consent.models import CookieGroup

        warm("/", "/about/")
        group, _ = CookieGroup.objects.get_or_create(varname="analytics", defaults={"name": "A"})
        group.description = "What the analytics cookies measure, reworded."
        group.save()
        assert get(Client(), "/")[1] == "MISS"
        assert get(Client(), "/about/")[1] == "MISS"

    def test_saving_a_model_no_page_shows_does_not_purge(self, warm, editor):
        warm("/")
        editor.first_name = "Edna"
        editor.save()
        assert get(Client(), "/")[1] == "HIT"

    def test_registered_dependents_are_purged_with_the_page(self, warm):
        privacy = Page.objects.get(slug="privacy-policy")

        def about_is_listed_on_privacy(page):
            return [privacy, "/cookie-policy/"] if page.slug == "about" else []

        page_cache.register_dependents(about_is_listed_on_privacy)
        try:
            warm("/privacy-policy/", "/cookie-policy/")
            publish(StandardPage.objects.get(slug="about"))
            assert get(Client(), "/privacy-policy/")[1] == "MISS"
            assert get(Client(), "/cookie-policy/")[1] == "MISS"
        finally:
            page_cache.unregister_dependents(about_is_listed_on_privacy)

    def test_a_failing_dependent_does_not_stop_the_purge(self, warm):
        def broken(page):
            raise RuntimeError("boom")

        page_cache.register_dependents(broken)
        try:
            warm("/about/")
            publish(StandardPage.objects.get(slug="about"))
            assert get(Client(), "/about/")[1] == "MISS"
        finally:
            page_cache.unregister_dependents(broken)

    def test_the_feed_is_purged_on_every_publish(self, demo_site):
        key = keys.path_key("/case-studies/feed/")
        before = cache.get(key)
        publish(StandardPage.objects.get(slug="about"))
        assert cache.get(key) not in (None, before)

    def test_a_purge_is_repeated_after_commit(self, warm, django_capture_on_commit_callbacks):
        # Another process may render from pre-commit data between the first purge and the
        # commit; the second purge forgets what it stored.
        about = StandardPage.objects.get(slug="about")
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            publish(about)
        warm("/about/")
        for callback in callbacks:
            callback()
        assert get(Client(), "/about/")[1] == "MISS"

    def test_draft_saves_do_not_purge(self, warm):
        warm("/about/")
        about = StandardPage.objects.get(slug="about")
        about.title = "Unpublished draft"
        about.save_revision()
        _, state, body = get(Client(), "/about/")
        assert state == "HIT"
        assert "Unpublished draft" not in body

    def test_an_evicted_version_token_never_revives_an_old_entry(self, warm):
        warm("/about/")
        cache.delete(keys.path_key("/about/"))
        assert get(Client(), "/about/")[1] == "MISS"
        cache.delete(keys.GENERATION_KEY)
        assert get(Client(), "/about/")[1] == "MISS"
        assert get(Client(), "/about/")[1] == "HIT"


# --------------------------------------------------------------------------------------------
# Several processes sharing one Redis


@pytest.mark.django_db
class TestSharedAcrossProcesses:
    def test_a_page_purge_in_one_process_is_seen_by_another(self, demo_site, shared_redis):
        get(Client(), "/about/")
        assert get(Client(), "/about/")[1] == "HIT"
        in_other_process(shared_redis, "page_cache.purge_paths(['/about/'])")
        assert get(Client(), "/about/")[1] == "MISS"
        assert get(Client(), "/about/")[1] == "HIT"

    def test_a_purge_everything_in_one_process_is_seen_by_another(self, demo_site, shared_redis):
        for path in ("/", "/about/"):
            get(Client(), path)
        in_other_process(shared_redis, "page_cache.purge_all()")
        assert get(Client(), "/")[1] == "MISS"
        assert get(Client(), "/about/")[1] == "MISS"

    def test_the_other_process_reads_what_this_one_stored(self, demo_site, shared_redis):
        get(Client(), "/about/")
        out = in_other_process(
            shared_redis,
            "from django.core.cache import cache\n"
            "from home.page_cache import keys\n"
            "print(cache.get(keys.path_key('/about/')) is not None)",
        )
        assert out.strip() == "True"

    def test_hits_come_from_process_memory_until_another_process_purges(
        self, demo_site, shared_redis
    ):
        import redis

        get(Client(), "/about/")
        assert get(Client(), "/about/")[1] == "HIT"
        # The entry is gone from Redis but this process still holds it under current tokens.
        connection = redis.Redis.from_url(REDIS_URL)
        for key in connection.scan_iter(f"{shared_redis}:*pagecache:entry:*"):
            connection.delete(key)
        _, state, body = get(Client(), "/about/")
        assert state == "HIT"
        assert "<h1>About us</h1>" in body
        # A purge from another process reaches this process's memory before its next request.
        in_other_process(shared_redis, "page_cache.purge_paths(['/about/'])")
        assert get(Client(), "/about/")[1] == "MISS"

    def test_a_lost_purge_subscription_empties_process_memory(self, demo_site, shared_redis):
        import redis

        get(Client(), "/about/")
        assert get(Client(), "/about/")[1] == "HIT"
        layer = local.local_layer()
        assert layer.entries
        # The subscription drops; purges published meanwhile would be missed, so whatever the
        # process remembered must not be trusted once it reconnects.
        layer.pubsub.connection.disconnect()
        connection = redis.Redis.from_url(REDIS_URL)
        for key in connection.scan_iter(f"{shared_redis}:*pagecache:entry:*"):
            connection.delete(key)
        assert get(Client(), "/about/")[1] == "MISS"

    def test_publishing_in_this_process_is_seen_at_once(self, demo_site, shared_redis):
        get(Client(), "/about/")
        assert get(Client(), "/about/")[1] == "HIT"
        about = StandardPage.objects.get(slug="about")
        about.title = "About the firm"
        publish(about)
        _, state, body = get(Client(), "/about/")
        assert state == "MISS"
        assert "<h1>About the firm</h1>" in body


def test_process_memory_is_bounded_by_count_and_bytes():
    def entry(size):
        return ("g", "p", 200, [], b"x" * size)

    by_count = local.LocalLayer(backend=None, size=3)
    for i in range(5):
        by_count.remember(f"e{i}", entry(100), {"g": "g"})
    assert list(by_count.entries) == ["e2", "e3", "e4"]

    by_bytes = local.LocalLayer(backend=None, size=100)
    by_bytes.MAX_BYTES = 1600
    for i in range(20):
        by_bytes.remember(f"e{i}", entry(100), {})
    assert len(by_bytes.entries) == 16
    assert by_bytes.bytes == 1600
    by_bytes.remember("big", entry(101), {})  # over a sixteenth of the budget: never kept
    assert "big" not in by_bytes.entries
