"""Cookie consent, server side: the groups, the status endpoint, choices, versions, the record."""

import json
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from cookie_consent.models import Cookie, CookieGroup
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.utils import timezone

from home.consent import ConsentRecord, ConsentVersion, CookieDetail
from home.consent import groups as consent

pytestmark = pytest.mark.django_db

CONSENT_COOKIE = "cookie_consent"


def _status(client):
    response = client.get("/cookies/status/")
    assert response.status_code == 200
    return response.json()


def _accept_all(client, **extra):
    return client.post("/cookies/accept/", {"all_groups": "on"}, **extra)


def _consent_id(client):
    pairs = dict(
        pair.split("=", 1) for pair in client.cookies[CONSENT_COOKIE].value.split("|") if pair
    )
    return pairs["_id"]


class TestGroupsFromMigration:
    def test_three_groups_with_named_cookies_purposes_and_durations(self):
        groups = {group.varname: group for group in consent.all_groups()}
        assert list(groups) == ["necessary", "analytics", "marketing"]
        assert groups["necessary"].is_required
        assert not groups["analytics"].is_required and not groups["marketing"].is_required
        necessary = {cookie.name for cookie in groups["necessary"].cookies}
        assert {"cookie_consent", "csrftoken", "sessionid"} <= necessary
        for group in groups.values():
            assert group.cookies, group.varname
            for cookie in group.cookies:
                assert cookie.purpose and cookie.duration, cookie.name
        analytics = {cookie.name: cookie for cookie in groups["analytics"].cookies}
        assert analytics["_demo_analytics"].duration == "30 minutes"

    def test_required_group_cannot_be_declined(self, client):
        response = client.post("/cookies/decline/", {"cookie_groups": ["necessary"]})
        assert response.status_code == 400
        assert not ConsentRecord.objects.exists()
        assert "necessary" not in _status(client)["groups"]


class TestStatusEndpoint:
    def test_first_visit_everything_undecided_and_no_cookie_set(self, client):
        response = client.get("/cookies/status/")
        data = response.json()
        assert data["undecided"] == ["analytics", "marketing"]
        assert {name: g["state"] for name, g in data["groups"].items()} == {
            "analytics": "undecided",
            "marketing": "undecided",
        }
        assert data["groups"]["analytics"]["cookies"] == ["_demo_analytics"]
        assert not response.cookies

    def test_never_cached(self, client):
        response = client.get("/cookies/status/")
        cache_control = response["Cache-Control"]
        for directive in ("no-store", "no-cache", "private", "max-age=0"):
            assert directive in cache_control
        assert "Cookie" in response["Vary"]

    def test_token_endpoint_never_cached(self, client):
        response = client.get("/cookies/token/")
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
        assert len(response.json()["csrftoken"]) >= 32

    def test_answers_from_the_cache_without_queries(self, client, django_assert_num_queries):
        _status(client)
        with django_assert_num_queries(0):
            _status(client)

    def test_expires_cookies_of_groups_not_accepted(self, client):
        client.cookies["_demo_analytics"] = "3"
        response = client.get("/cookies/status/")
        assert response.cookies["_demo_analytics"]["max-age"] == 0
        assert response.cookies["_demo_analytics"].value == ""

    def test_keeps_cookies_of_accepted_groups(self, client):
        _accept_all(client)
        client.cookies["_demo_analytics"] = "3"
        response = client.get("/cookies/status/")
        assert "_demo_analytics" not in response.cookies

    def test_post_is_refused(self, client):
        assert client.post("/cookies/status/").status_code == 405


class TestCsrf:
    """The choice views keep Django's CSRF check; the token comes from the never-cached endpoint."""

    def test_post_without_token_is_refused(self):
        client = Client(enforce_csrf_checks=True)
        response = _accept_all(client, headers={"X-Cookie-Consent-Fetch": "1"})
        assert response.status_code == 403
        assert CONSENT_COOKIE not in response.cookies
        assert not ConsentRecord.objects.exists()

    def test_cross_site_origin_is_refused_even_with_a_token(self):
        client = Client(enforce_csrf_checks=True)
        token = client.get("/cookies/token/").json()["csrftoken"]
        response = _accept_all(
            client,
            headers={"X-CSRFToken": token, "Origin": "https://evil.example"},
            secure=True,
        )
        assert response.status_code == 403
        assert not ConsentRecord.objects.exists()

    def test_post_with_token_from_endpoint_is_accepted(self):
        client = Client(enforce_csrf_checks=True)
        token = client.get("/cookies/token/").json()["csrftoken"]
        response = _accept_all(
            client, headers={"X-CSRFToken": token, "X-Cookie-Consent-Fetch": "1"}
        )
        assert response.status_code == 200
        assert response.json()["undecided"] == []
        assert response.json()["groups"]["analytics"]["state"] == "accepted"
        assert "no-store" in response["Cache-Control"]
        assert _status(client)["groups"]["marketing"]["state"] == "accepted"


class TestChoices:
    def test_accept_all_without_javascript_redirects_and_logs(self, client):
        response = _accept_all(client)
        assert response.status_code == 303
        assert response["Location"] == "/cookies/?saved=1"
        cookie = response.cookies[CONSENT_COOKIE]
        assert cookie["httponly"] and cookie["samesite"] == "Lax"
        assert not cookie["secure"]  # secure only in production, see below
        record = ConsentRecord.objects.get()
        versions = {group.varname: group.version for group in consent.optional_groups()}
        assert record.accepted == versions
        assert record.declined == []
        assert str(record.consent_id.hex) == _consent_id(client)
        assert (timezone.now() - record.created) < timedelta(minutes=1)
        snapshot = ConsentVersion.objects.get(varname="analytics", version=versions["analytics"])
        assert snapshot.cookies[0]["name"] == "_demo_analytics"
        assert snapshot.cookies[0]["duration"] == "30 minutes"

    def test_record_holds_no_personal_data(self, client):
        _accept_all(client, REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Secret Browser/1.0")
        row = json.dumps(list(ConsentRecord.objects.values())[0], default=str)
        assert "203.0.113.9" not in row and "Secret Browser" not in row
        field_names = {field.name for field in ConsentRecord._meta.get_fields()}
        assert field_names == {"id", "consent_id", "accepted", "declined", "created"}

    def test_reject_all_declines_every_group_and_deletes_their_cookies(self, client):
        client.cookies["_demo_analytics"] = "2"
        client.cookies["_demo_campaign"] = "spring"
        response = client.post("/cookies/decline/", {"all_groups": "on"})
        assert response.status_code == 303
        assert response.cookies["_demo_analytics"]["max-age"] == 0
        assert response.cookies["_demo_campaign"]["max-age"] == 0
        states = _status(client)
        assert states["undecided"] == []
        assert {g["state"] for g in states["groups"].values()} == {"declined"}
        record = ConsentRecord.objects.get()
        assert record.accepted == {} and record.declined == ["analytics", "marketing"]

    def test_withdrawal_keeps_the_consent_id_and_logs_again(self, client):
        _accept_all(client)
        first_id = _consent_id(client)
        client.post("/cookies/decline/", {"cookie_groups": ["analytics"]})
        assert _consent_id(client) == first_id
        latest, earlier = ConsentRecord.objects.order_by("-pk")
        assert latest.consent_id == earlier.consent_id
        assert latest.declined == ["analytics"] and latest.accepted == {}
        states = _status(client)["groups"]
        assert states["analytics"]["state"] == "declined"
        assert states["marketing"]["state"] == "accepted"

    def test_a_forged_consent_id_is_replaced(self, client):
        client.cookies[CONSENT_COOKIE] = "_id=not-a-uuid"
        _accept_all(client)
        assert uuid.UUID(hex=_consent_id(client))
        assert ConsentRecord.objects.get().consent_id.hex == _consent_id(client)

    def test_save_form_mixes_choices(self, client):
        response = client.post(
            "/cookies/save/", {"group-analytics": "accept", "group-marketing": "decline"}
        )
        assert response.status_code == 303
        states = _status(client)["groups"]
        assert states["analytics"]["state"] == "accepted"
        assert states["marketing"]["state"] == "declined"

    def test_save_form_leaves_an_unanswered_group_undecided(self, client):
        client.post("/cookies/save/", {"group-analytics": "decline"})
        assert _status(client)["undecided"] == ["marketing"]

    @pytest.mark.parametrize(
        ("path", "data"),
        [
            ("/cookies/save/", {"group-analytics": "maybe"}),
            ("/cookies/save/", {}),
            ("/cookies/accept/", {"cookie_groups": ["nonsense"]}),
            ("/cookies/accept/", {}),
            ("/cookies/decline/", {"cookie_groups": ["analytics|x=1"]}),
        ],
    )
    def test_bad_input_is_a_400_not_a_500(self, client, path, data):
        response = client.post(path, data)
        assert response.status_code == 400
        assert "no-store" in response["Cache-Control"]
        assert "Your cookie settings were not saved" in response.content.decode()
        assert "cookie_consent" not in response.cookies
        assert not ConsentRecord.objects.exists()
        fetched = client.post(path, data, headers={"X-Cookie-Consent-Fetch": "1"})
        assert fetched.status_code == 400 and fetched.json()["error"]

    @pytest.mark.parametrize("path", ["/cookies/accept/", "/cookies/decline/", "/cookies/save/"])
    def test_get_on_a_choice_view_is_refused(self, client, path):
        assert client.get(path).status_code == 405

    def test_next_returns_to_the_page_but_never_off_site(self, client):
        response = client.post("/cookies/accept/", {"all_groups": "on", "next": "/about/"})
        assert response["Location"] == "/about/"
        response = client.post(
            "/cookies/accept/", {"all_groups": "on", "next": "https://evil.example/"}
        )
        assert response["Location"] == "/cookies/?saved=1"

    @override_settings(COOKIE_CONSENT_SECURE=True)
    def test_consent_cookie_is_secure_when_configured(self, client):
        response = _accept_all(client)
        assert response.cookies[CONSENT_COOKIE]["secure"]


class TestVersions:
    """Any change to a group's cookie list asks visitors who accepted it again."""

    def _accepted(self, client):
        _accept_all(client)
        assert _status(client)["undecided"] == []

    def test_adding_a_cookie_asks_again(self, client):
        self._accepted(client)
        group = CookieGroup.objects.get(varname="analytics")
        Cookie.objects.create(cookiegroup=group, name="_demo_visit", description="Visit id")
        assert _status(client)["undecided"] == ["analytics"]

    def test_changing_a_purpose_asks_again(self, client):
        self._accepted(client)
        cookie = Cookie.objects.get(name="_demo_campaign")
        cookie.description = "Now also used to show you adverts elsewhere."
        cookie.save()
        assert _status(client)["undecided"] == ["marketing"]

    def test_changing_a_duration_asks_again(self, client):
        self._accepted(client)
        detail = CookieDetail.objects.get(cookie__name="_demo_analytics")
        detail.duration = "2 years"
        detail.save()
        assert _status(client)["undecided"] == ["analytics"]

    def test_removing_the_oldest_cookie_asks_again(self, client):
        # The library's own version (newest cookie's date) would not notice this.
        group = CookieGroup.objects.get(varname="analytics")
        Cookie.objects.create(cookiegroup=group, name="_demo_visit", description="Visit id")
        self._accepted(client)
        Cookie.objects.get(name="_demo_analytics").delete()
        assert _status(client)["undecided"] == ["analytics"]

    def test_declined_stays_declined(self, client):
        client.post("/cookies/decline/", {"all_groups": "on"})
        group = CookieGroup.objects.get(varname="analytics")
        Cookie.objects.create(cookiegroup=group, name="_demo_visit", description="Visit id")
        assert _status(client)["undecided"] == []

    def test_unchanged_list_keeps_the_version(self):
        before = {group.varname: group.version for group in consent.all_groups()}
        consent.clear_cache()
        CookieGroup.objects.get(varname="analytics").save()
        assert {group.varname: group.version for group in consent.all_groups()} == before

    def test_new_version_is_logged_when_accepted(self, client):
        self._accepted(client)
        group = CookieGroup.objects.get(varname="analytics")
        Cookie.objects.create(cookiegroup=group, name="_demo_visit", description="Visit id")
        client.post("/cookies/accept/", {"cookie_groups": ["analytics"]})
        latest = ConsentRecord.objects.order_by("-pk").first()
        assert set(latest.accepted) == {"analytics"}
        assert ConsentVersion.objects.filter(varname="analytics").count() == 2
        names = {
            c["name"]
            for c in ConsentVersion.objects.get(version=latest.accepted["analytics"]).cookies
        }
        assert names == {"_demo_analytics", "_demo_visit"}


class TestPrune:
    def _record(self, days_old):
        record = ConsentRecord.objects.create(accepted={"analytics": "x"}, declined=[])
        ConsentRecord.objects.filter(pk=record.pk).update(
            created=timezone.now() - timedelta(days=days_old)
        )
        return record

    @override_settings(COOKIE_CONSENT_LOG_RETENTION_DAYS=30)
    def test_deletes_only_records_older_than_the_configured_period(self):
        old, recent = self._record(31), self._record(29)
        out = StringIO()
        call_command("prune_consent_log", stdout=out)
        assert list(ConsentRecord.objects.values_list("pk", flat=True)) == [recent.pk]
        assert not ConsentRecord.objects.filter(pk=old.pk).exists()
        assert "Deleted 1 consent records" in out.getvalue()

    def test_refuses_a_zero_day_period(self):
        self._record(5)
        with pytest.raises(CommandError):
            call_command("prune_consent_log", days=0, stdout=StringIO())
        assert ConsentRecord.objects.count() == 1


class TestCacheAfterMigrate:
    def test_migrate_drops_a_stale_cached_list(self):
        from django.apps import apps
        from django.core.cache import cache
        from django.db.models.signals import post_migrate

        cache.set(consent.CACHE_KEY, [], None)
        assert consent.all_groups() == []
        home = apps.get_app_config("home")
        post_migrate.send(
            sender=home, app_config=home, verbosity=0, interactive=False, using="default"
        )
        assert [group.varname for group in consent.all_groups()] == [
            "necessary",
            "analytics",
            "marketing",
        ]

    def test_an_unreachable_cache_does_not_fail_migrate(self, caplog):
        unreachable = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:1/0",
            }
        }
        with override_settings(CACHES=unreachable):
            consent.on_migrate(sender=None)
        assert "Could not clear the cached cookie groups" in caplog.text
