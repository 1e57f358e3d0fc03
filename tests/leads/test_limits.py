"""Limits that flag, not drop: many people behind one address all reach the desk; only a flood
is refused, with 429 and Retry-After, and then nothing is stored.

The view is driven as a reader's browser does (with and without script); the shared cache is
the test's locmem cache, or the production backend on a private redis-server that the test
kills (tests/fault_services.py).
"""

import math
import time

import pytest
import redis
from django.core import mail

from leads.casework import clear_review
from leads.models import Lead, NotificationStatus
from tests.leads.helpers import submit_from

pytestmark = pytest.mark.django_db

OFFICE = "198.51.100.7"
# A window of a day: a test never straddles two of the flood limits' fixed windows (except
# one started within seconds of midnight UTC).
DAY = 86400


def person(n, address=OFFICE, *, json=False):
    """A distinct reader n: their own name, phone and email, from `address`."""
    return {
        "full_name": f"Reader {n}",
        "phone": f"0121 496 {n:04d}",
        "email": f"reader{n}@example.com",
        "headers": {"REMOTE_ADDR": address},
        "json": json,
    }


def told_success(response):
    """What the reader is told: the redirect to the page's success box, or the JSON."""
    if response.status_code == 303:
        return response["Location"].endswith("?callback=sent#callback")
    return response.status_code == 200 and response.json()["ok"] is True


def assert_refused(response, *, json):
    assert response.status_code == 429
    retry_after = int(response["Retry-After"])
    until_midnight = DAY - time.time() % DAY
    assert 0 < retry_after <= math.ceil(until_midnight) + 1
    if json:
        assert response.json()["ok"] is False
        assert "call us" in response.json()["message"]
    else:
        assert "Too many requests" in response.content.decode()
        assert "call us" in response.content.decode()


@pytest.mark.parametrize("json", [False, True], ids=["no-script", "script"])
def test_300_people_behind_one_address_in_a_minute_all_reach_the_desk(
    client, home_html, humans_are_quick, json
):
    # The production defaults: held past 10 leads in 10 minutes, refused only past 600 a minute.
    started = time.monotonic()
    responses = [submit_from(client, home_html, **person(n, json=json)) for n in range(300)]
    assert time.monotonic() - started < 60, "the test should send them within one minute"

    assert all(told_success(response) for response in responses)
    if json:
        assert len({response.json()["message"] for response in responses}) == 1
    leads = list(Lead.objects.order_by("pk"))
    assert len(leads) == 300
    assert [lead.email for lead in leads] == [f"reader{n}@example.com" for n in range(300)]
    assert not any(lead.is_spam for lead in leads)
    first, rest = leads[:10], leads[10:]
    assert not any(lead.needs_review for lead in first)
    assert {lead.notification_status for lead in first} == {NotificationStatus.SENT}
    assert all(lead.needs_review for lead in rest)
    assert {lead.review_reasons for lead in rest} == {"busy_address"}
    assert {lead.notification_status for lead in rest} == {NotificationStatus.HELD}
    # Held leads wait for a person: only the first ten were announced.
    assert sorted(message.subject for message in mail.outbox) == sorted(
        f"New call-back request #{lead.pk}" for lead in first
    )
    # Another address is not held back by the busy one.
    response = submit_from(client, home_html, **person(999, "203.0.113.50", json=json))
    assert told_success(response)
    other = Lead.objects.get(email="reader999@example.com")
    assert not other.needs_review
    assert other.notification_status == NotificationStatus.SENT
    # A person clears the held ones at the desk: each is then announced, once.
    assert clear_review([lead.pk for lead in rest], user=None) == 290
    assert len(mail.outbox) == 10 + 1 + 290
    assert len({message.subject for message in mail.outbox}) == 301
    assert not Lead.objects.filter(needs_review=True).exists()


@pytest.mark.parametrize("json", [False, True], ids=["no-script", "script"])
def test_past_the_flood_limit_429_and_nothing_stored(
    client, home_html, humans_are_quick, settings, json
):
    settings.LEADS_FLOOD_LIMIT = (20, DAY)
    responses = [submit_from(client, home_html, **person(n, json=json)) for n in range(25)]
    assert all(told_success(response) for response in responses[:20])
    for response in responses[20:]:
        assert_refused(response, json=json)
    assert Lead.objects.count() == 20
    assert not Lead.objects.filter(email__in=[f"reader{n}@example.com" for n in range(20, 25)])
    # A forged token from the flooding address costs nothing more: it is refused first.
    forged = submit_from(client, home_html, token="forged", **person(30, json=json))
    assert forged.status_code == 429
    # Other addresses are unaffected.
    response = submit_from(client, home_html, **person(99, "203.0.113.50", json=json))
    assert told_success(response)
    assert Lead.objects.count() == 21


def test_ipv6_clients_are_counted_by_their_64(client, home_html, humans_are_quick, settings):
    settings.LEADS_FLOOD_LIMIT = (2, DAY)
    same_network = ["2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:9"]
    for n, address in enumerate(same_network):
        assert told_success(submit_from(client, home_html, **person(n, address)))
    # A third address in the same /64 is the same client; the next /64 is another.
    assert submit_from(client, home_html, **person(2, "2001:db8:1:2::abcd")).status_code == 429
    assert told_success(submit_from(client, home_html, **person(3, "2001:db8:1:3::1")))
    hashes = list(Lead.objects.order_by("pk").values_list("ip_hmac", flat=True))
    assert hashes[0] == hashes[1] != hashes[2]


def test_the_site_wide_limit_is_not_used_up_by_one_flooding_address(
    client, home_html, humans_are_quick, settings
):
    settings.LEADS_FLOOD_LIMIT = (2, DAY)
    settings.LEADS_FLOOD_LIMIT_SITE = (5, DAY)
    flood = [submit_from(client, home_html, **person(n)) for n in range(10)]
    assert [response.status_code for response in flood] == [303] * 2 + [429] * 8
    # Refused requests did not count for the site: three more addresses get through...
    for n in range(3):
        assert told_success(submit_from(client, home_html, **person(10 + n, f"192.0.2.{n + 1}")))
    # ...and then the whole site is over its limit.
    refused = submit_from(client, home_html, **person(20, "192.0.2.99"))
    assert refused.status_code == 429
    assert Lead.objects.count() == 5


def test_honeypot_hits_from_one_address_collapse_into_one_row(client, home_html, humans_are_quick):
    for n in range(5):
        response = submit_from(client, home_html, website="http://spam.example", **person(n))
        assert told_success(response)  # a bot learns nothing
    lead = Lead.objects.get()
    assert lead.is_spam and lead.spam_reasons == "honeypot"
    assert mail.outbox == []


def test_with_redis_the_flood_is_counted_there(
    client, home_html, humans_are_quick, settings, redis_cache
):
    settings.LEADS_FLOOD_LIMIT = (3, DAY)
    responses = [submit_from(client, home_html, **person(n)) for n in range(5)]
    assert [response.status_code for response in responses] == [303] * 3 + [429] * 2
    assert Lead.objects.count() == 3
    # The refusals came from the shared cache's counter, before the form was read.
    keys = redis.Redis.from_url(redis_cache.url).keys("*leads:flood:address:*")
    assert len(keys) == 1


@pytest.mark.parametrize("json", [False, True], ids=["no-script", "script"])
def test_with_redis_down_the_database_counts_the_flood(
    client, home_html, humans_are_quick, settings, redis_cache, json
):
    settings.LEADS_FLOOD_LIMIT = (3, DAY)
    settings.LEADS_RATE_LIMIT = (2, 600)
    redis_cache.kill()
    responses = [submit_from(client, home_html, **person(n, json=json)) for n in range(5)]
    assert all(told_success(response) for response in responses[:3])
    for response in responses[3:]:
        assert_refused(response, json=json)
    flags = list(Lead.objects.order_by("pk").values_list("needs_review", flat=True))
    assert flags == [False, False, True]
    assert len(mail.outbox) == 2
    # Another address is counted on its own.
    assert told_success(submit_from(client, home_html, **person(9, "203.0.113.50", json=json)))
    assert Lead.objects.count() == 4


def test_a_refusal_costs_no_database_query(
    client, home_html, humans_are_quick, settings, redis_cache, django_assert_num_queries
):
    settings.LEADS_FLOOD_LIMIT = (1, DAY)
    assert told_success(submit_from(client, home_html, **person(1)))
    # The first refusal page fills the shared navigation fragment; the rest read it.
    assert submit_from(client, home_html, **person(2)).status_code == 429
    with django_assert_num_queries(0):
        refused = [submit_from(client, home_html, **person(n)) for n in range(3, 13)]
    assert {response.status_code for response in refused} == {429}
