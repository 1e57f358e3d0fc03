"""The admin's second factor: who must give a code, what happens without one, and guessing."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.second_factor import code, give_authenticator, sign_in_with_second_factor

pytestmark = pytest.mark.django_db

LEADS = "/admin/leads/lead/"
VERIFY = "/admin/second-factor/"
ENROL = "/admin/second-factor/set-up/"
PASSWORD = "a-long-test-password"


@pytest.fixture
def client_factory():
    """More than one browser (session) for the same account."""
    return Client


def make_user(django_user_model, username, group=None, **extra):
    user = django_user_model.objects.create_user(username, password=PASSWORD, **extra)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def manager(django_user_model):
    return make_user(django_user_model, "manager", "Lead managers")


@pytest.fixture
def editor(django_user_model):
    return make_user(django_user_model, "editor", "Editors")


def sign_in(client, user):
    """The password step, through Wagtail's own sign-in page."""
    response = client.post("/admin/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


def page_text(response):
    return response.content.decode()


class TestLeadManagerWithoutAuthenticator:
    def test_is_sent_to_set_up_before_seeing_leads(self, client, manager):
        response = sign_in(client, manager).get(LEADS)
        assert response.status_code == 302
        assert response["Location"] == f"{ENROL}?next={LEADS}"

    def test_every_admin_page_waits_but_public_pages_do_not(self, client, manager, demo_site):
        sign_in(client, manager)
        for path in ["/admin/", "/admin/pages/", "/admin/account/", LEADS + "export/csv/"]:
            response = client.get(path)
            assert response.status_code == 302, path
            assert response["Location"].startswith(ENROL), path
        assert client.get("/").status_code == 200

    def test_sets_up_with_the_qr_code_then_sees_leads(self, client, manager):
        sign_in(client, manager)
        page = client.get(f"{ENROL}?next={LEADS}")
        html = page_text(page)
        assert page.status_code == 200
        assert "Your account can see personal data" in html
        assert "<svg" in html and "data-second-factor-key" in html
        assert "<img" not in html.split("data-second-factor-qr")[1].split("</svg>")[0]
        device = TOTPDevice.objects.get(user=manager, confirmed=False)
        # Reloading keeps the same key, so a code from the scan made earlier still works.
        client.get(ENROL)
        assert TOTPDevice.objects.get(user=manager).key == device.key

        wrong = client.post(ENROL, {"otp_token": "000000", "next": LEADS})
        assert wrong.status_code == 200
        assert "That code is not right" in page_text(wrong)
        device.refresh_from_db()
        assert not device.confirmed
        _let_time_pass(device, 60)

        right = client.post(ENROL, {"otp_token": code(device), "next": LEADS})
        assert right.status_code == 302
        assert right["Location"] == LEADS
        device.refresh_from_db()
        assert device.confirmed
        assert client.get(LEADS).status_code == 200

    def test_the_key_is_only_shown_before_it_is_confirmed(self, client, manager):
        give_authenticator(manager)
        sign_in_with_second_factor(client, manager)
        response = client.get(ENROL)
        assert "Your account has a second factor" in page_text(response)
        assert "data-second-factor-key" not in page_text(response)


class TestLeadManagerWithAuthenticator:
    def test_must_give_the_code_after_the_password(self, client, manager):
        device = give_authenticator(manager)
        sign_in(client, manager)
        response = client.get(LEADS)
        assert response["Location"] == f"{VERIFY}?next={LEADS}"
        page = client.get(response["Location"])
        assert "Enter the code from your authenticator app" in page_text(page)

        wrong = client.post(VERIFY, {"otp_token": "123456", "next": LEADS})
        assert wrong.status_code == 200
        assert "That code is not right" in page_text(wrong)
        assert client.get(LEADS).status_code == 302

        _let_time_pass(device, 60)
        right = client.post(VERIFY, {"otp_token": code(device), "next": LEADS})
        assert right["Location"] == LEADS
        listing = client.get(LEADS)
        assert listing.status_code == 200

    def test_cannot_set_up_a_second_authenticator_to_skip_the_code(self, client, manager):
        give_authenticator(manager)
        sign_in(client, manager)
        response = client.get(ENROL)
        assert response.status_code == 200
        assert "Your account has a second factor" in page_text(response)
        assert client.post(ENROL, {"otp_token": "000000"}).status_code == 200
        assert TOTPDevice.objects.filter(user=manager).count() == 1
        assert client.get(LEADS)["Location"].startswith(VERIFY)

    def test_a_code_works_once(self, manager, client_factory):
        device = give_authenticator(manager)
        first, second = client_factory(), client_factory()
        sign_in(first, manager)
        sign_in(second, manager)
        now = code(device)
        assert first.post(VERIFY, {"otp_token": now})["Location"] == "/admin/"
        replay = second.post(VERIFY, {"otp_token": now})
        assert replay.status_code == 200
        assert "That code is not right" in page_text(replay)

    def test_goes_back_only_to_pages_of_this_site(self, client, manager):
        device = give_authenticator(manager)
        sign_in(client, manager)
        response = client.post(
            VERIFY, {"otp_token": code(device), "next": "https://evil.example/admin/"}
        )
        assert response["Location"] == "/admin/"


class TestGuessing:
    def test_each_wrong_code_doubles_the_wait_and_the_right_code_waits_too(self, client, manager):
        device = give_authenticator(manager)
        sign_in(client, manager)
        client.post(VERIFY, {"otp_token": "000000"})
        for _ in range(3):
            # Inside the wait, nothing is checked: not even the right code gets in.
            blocked = client.post(VERIFY, {"otp_token": code(device)})
            assert blocked.status_code == 200
            assert "Verification temporarily disabled because of 1 failed attempt" in page_text(
                blocked
            )
        device.refresh_from_db()
        assert device.throttling_failure_count == 1

        waits = []
        for failures in range(1, 6):
            allowed, _ = device.verify_is_allowed()
            assert not allowed
            waits.append(_seconds_until_allowed(device))
            _let_time_pass(device, waits[-1])
            assert client.post(VERIFY, {"otp_token": "000000"}).status_code == 200
            device.refresh_from_db()
            assert device.throttling_failure_count == failures + 1
        assert waits == [1, 2, 4, 8, 16]

        _let_time_pass(device, _seconds_until_allowed(device))
        assert client.post(VERIFY, {"otp_token": code(device)})["Location"] == "/admin/"
        device.refresh_from_db()
        assert device.throttling_failure_count == 0

    def test_the_wait_is_per_account_not_per_session(self, manager, client_factory):
        device = give_authenticator(manager)
        attacker, owner = client_factory(), client_factory()
        sign_in(attacker, manager).post(VERIFY, {"otp_token": "000000"})
        refused = sign_in(owner, manager).post(VERIFY, {"otp_token": code(device)})
        assert "Verification temporarily disabled" in page_text(refused)


def _seconds_until_allowed(device):
    """The wait django-otp imposes after the last failure, found by trying whole seconds (the
    test does not assume the formula it checks)."""
    for seconds in range(0, 600):
        probe = TOTPDevice.objects.get(pk=device.pk)
        probe.throttling_failure_timestamp = timezone.now() - timedelta(seconds=seconds)
        if probe.verify_is_allowed()[0]:
            return seconds
    raise AssertionError("still throttled after 10 minutes")


def _let_time_pass(device, seconds):
    """As if the last failure were `seconds` ago."""
    device.refresh_from_db()
    device.throttling_failure_timestamp = timezone.now() - timedelta(seconds=seconds)
    device.save(update_fields=["throttling_failure_timestamp"])


class TestWhoMust:
    def test_editor_is_not_asked(self, client, editor):
        assert sign_in(client, editor).get("/admin/").status_code == 200
        assert client.get("/admin/pages/").status_code == 200

    def test_editor_may_set_one_up_and_is_then_asked_every_time(
        self, client, editor, client_factory
    ):
        sign_in(client, editor)
        account = page_text(client.get("/admin/account/"))
        assert ENROL in account
        page = client.get(ENROL)
        assert "Your account can see personal data" not in page_text(page)
        device = TOTPDevice.objects.get(user=editor)
        assert client.post(ENROL, {"otp_token": code(device)})["Location"] == "/admin/"

        later = sign_in(client_factory(), editor)
        assert later.get("/admin/")["Location"].startswith(VERIFY)

    def test_superuser_must(self, client, django_user_model):
        boss = make_user(django_user_model, "boss", is_superuser=True, is_staff=True)
        assert sign_in(client, boss).get("/admin/")["Location"].startswith(ENROL)

    def test_any_group_that_may_see_leads_must(self, client, django_user_model):
        from django.contrib.auth.models import Permission

        claims = Group.objects.create(name="Claims handlers")
        claims.permissions.add(
            Permission.objects.get(codename="access_admin"),
            Permission.objects.get(codename="view_lead"),
        )
        handler = make_user(django_user_model, "handler", "Claims handlers")
        assert sign_in(client, handler).get("/admin/")["Location"].startswith(ENROL)


class TestReset:
    def test_admin_resets_a_lost_authenticator(self, client, manager, capsys):
        sign_in_with_second_factor(client, manager)
        assert client.get(LEADS).status_code == 200

        call_command("reset_second_factor", "manager")
        assert "Removed 1 authenticator(s) of manager" in capsys.readouterr().out
        assert not TOTPDevice.objects.filter(user=manager).exists()
        # The session that had passed with the lost phone must set up a new one first.
        assert client.get(LEADS)["Location"].startswith(ENROL)
