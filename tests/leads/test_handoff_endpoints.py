"""Further hand-off endpoints in the admin: superusers only, whatever permissions a group is
given; only http(s) addresses; the secret is written and never shown back."""

import base64
import os

import pytest
from django.contrib.auth.models import Group, Permission

from leads.handoff import new_webhook_id
from leads.models import Handoff, WebhookEndpoint
from tests.leads.factories import make_lead
from tests.second_factor import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

INDEX = "/admin/handoff_endpoints/"
ADD = INDEX + "new/"
SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()


def edit_url(endpoint):
    return f"{INDEX}edit/{endpoint.pk}/"


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.test", "x")


@pytest.fixture
def as_superuser(client, superuser):
    return sign_in_with_second_factor(client, superuser)


def form(**changes):
    return {
        "name": "Claims system (test)",
        "url": "https://claims.example/hooks/leads",
        "secret": SECRET,
        "is_active": "on",
        **changes,
    }


def test_a_superuser_adds_one_and_the_secret_is_never_shown_back(as_superuser):
    response = as_superuser.post(ADD, form())
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == SECRET
    assert endpoint.url == "https://claims.example/hooks/leads"

    for url in [INDEX, edit_url(endpoint)]:
        page = as_superuser.get(url).content.decode()
        assert "Claims system (test)" in page
        assert SECRET not in page
        assert SECRET[6:20] not in page  # not even part of the key
    assert f"ending …{SECRET[-4:]}" in as_superuser.get(edit_url(endpoint)).content.decode()


def test_an_empty_secret_on_edit_keeps_it_and_a_new_one_replaces_it(as_superuser):
    endpoint = WebhookEndpoint.objects.create(name="A", url="https://a.example/", secret=SECRET)
    response = as_superuser.post(edit_url(endpoint), form(name="A", secret=""))
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.secret == SECRET
    as_superuser.post(edit_url(endpoint), form(name="A", secret="a new plain secret"))
    endpoint.refresh_from_db()
    assert endpoint.secret == "a new plain secret"


def test_a_new_endpoint_needs_a_secret(as_superuser):
    response = as_superuser.post(ADD, form(secret=""))
    assert response.status_code == 200
    assert "Give the secret agreed with the receiver." in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://claims.example/in",
        "gopher://127.0.0.1:6379/_x",
        "javascript:alert(1)",
        "not an address",
    ],
)
def test_only_http_addresses_are_saved(as_superuser, url):
    response = as_superuser.post(ADD, form(url=url))
    assert response.status_code == 200
    assert "The address must" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_a_malformed_whsec_secret_is_refused_beside_the_field(as_superuser):
    response = as_superuser.post(ADD, form(secret="whsec_***"))
    assert response.status_code == 200
    assert "base64" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_no_one_else_even_with_every_permission_on_the_model(client, django_user_model):
    user = django_user_model.objects.create_user("manager", password="x")
    user.groups.add(Group.objects.get(name="Lead managers"))
    user.user_permissions.add(*Permission.objects.filter(content_type__model="webhookendpoint"))
    sign_in_with_second_factor(client, user)
    endpoint = WebhookEndpoint.objects.create(name="A", url="https://a.example/", secret=SECRET)

    assert "Hand-off endpoints" not in client.get("/admin/").content.decode()
    for url in [INDEX, ADD, edit_url(endpoint), f"{INDEX}delete/{endpoint.pk}/"]:
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert SECRET not in response.content.decode()
    client.post(ADD, form(name="Sneaky", url="https://attacker.example/"))
    client.post(edit_url(endpoint), form(name="A", url="https://attacker.example/"))
    assert list(WebhookEndpoint.objects.values_list("name", "url")) == [("A", "https://a.example/")]


def test_the_superusers_settings_menu_lists_it(as_superuser):
    assert "Hand-off endpoints" in as_superuser.get("/admin/").content.decode()


def test_an_endpoint_is_switched_off_never_deleted(as_superuser):
    endpoint = WebhookEndpoint.objects.create(name="A", url="https://a.example/", secret=SECRET)
    Handoff.objects.create(
        lead=make_lead(), endpoint=endpoint, webhook_id=new_webhook_id(), trigger="manual"
    )
    assert as_superuser.get(f"{INDEX}delete/{endpoint.pk}/").status_code in (302, 403)
    as_superuser.post(f"{INDEX}delete/{endpoint.pk}/")
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
    assert "Delete" not in as_superuser.get(edit_url(endpoint)).content.decode()
