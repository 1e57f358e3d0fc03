import json
import re
import threading
import time
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse

from leads.models import CallBackForm, Lead, NotificationStatus
from leads.security import TOKEN_SALT, duplicate_key
from tests.leads.factories import make_lead
from tests.leads.helpers import answers, only_lead, read_callback_form, submit_from

pytestmark = pytest.mark.django_db


class TestThePage:
    def test_page_carries_no_per_visitor_data(self, client, home):
        response = client.get(home.url)
        html = response.content.decode()
        assert "csrfmiddlewaretoken" not in html
        assert "sessionid" not in response.cookies
        assert "csrftoken" not in response.cookies
        assert 'action="/leads/callback/#callback"' in html

    def test_form_has_real_labels_types_and_autocomplete(self, home_html):
        for name, label in [
            ("full_name", "Full name"),
            ("phone", "Phone number"),
            ("email", "Email address"),
            ("callback_time", "Best time to call"),
        ]:
            assert f'<label for="callback-{name}">{label}</label>' in home_html
        assert re.search(r'<input type="tel" name="phone"[^>]*autocomplete="tel"', home_html)
        assert re.search(r'<input type="email" name="email"[^>]*autocomplete="email"', home_html)
        assert re.search(r'<input type="text" name="full_name"[^>]*autocomplete="name"', home_html)
        assert re.search(r'<input type="checkbox" name="privacy_ack"(?![^>]*checked)', home_html)
        assert 'aria-describedby="callback-phone_helptext"' in home_html
        assert re.search(r'name="privacy_ack"[^>]*aria-describedby="callback-privacy"', home_html)

    def test_honeypot_is_labelled_and_hidden_from_assistive_tech(self, home_html):
        wrapper = re.search(
            r'<div class="callback__hp" aria-hidden="true">(.*?)</div>', home_html, re.S
        )
        assert wrapper
        assert '<label for="callback-website">Leave this field empty</label>' in wrapper.group(1)
        assert 'tabindex="-1"' in wrapper.group(1)

    def test_no_inline_script_or_style(self, home_html):
        box = home_html[home_html.index('id="callback"') :]
        assert " style=" not in box
        # Scripts that run come from files; JSON-LD data blocks are not run.
        inline = re.findall(r"<script(?![^>]*\b(?:src=|type=\"application/ld\+json\"))", home_html)
        assert inline == []

    def test_privacy_notice_links_the_policy(self, home_html):
        assert re.search(
            r"how we handle your data is available in our "
            r'<a href="/privacy-policy/">Privacy Policy</a>',
            home_html,
        )


class TestStoring:
    def test_stored_row_matches_what_was_sent(self, client, home, home_html, humans_are_quick):
        response = submit_from(
            client,
            home_html,
            headers={
                "HTTP_USER_AGENT": "Mozilla/5.0 " + "x" * 400,
                "HTTP_REFERER": "http://testserver/?utm_source=ignored",
                "REMOTE_ADDR": "203.0.113.9",
            },
            utm_source="newsletter",
            utm_campaign="police-2024",
            gclid="abc123",
            referrer="https://www.example.org/search?q=police+breach",
        )
        assert response.status_code == 303
        lead = only_lead()
        assert lead.full_name == "Zoë O'Brien-Łukasiewicz"
        assert lead.phone == "+441214960982"
        assert lead.email == "zoe@example.com"
        assert lead.callback_time == "evening"
        assert lead.privacy_acknowledged_at is not None
        snippet = CallBackForm.objects.get()
        assert lead.privacy_notice_version == snippet.privacy_notice_version
        assert lead.form == snippet
        assert lead.source_page_id == home.pk
        assert lead.source_page_title == home.title
        assert lead.source_page_url == "/"
        assert lead.referrer == "https://www.example.org/search?q=police+breach"
        assert (lead.utm_source, lead.utm_campaign, lead.gclid) == (
            "newsletter",
            "police-2024",
            "abc123",
        )
        assert lead.utm_medium == ""
        assert len(lead.user_agent) == 255
        assert lead.ip_hmac and "203.0.113.9" not in lead.ip_hmac and len(lead.ip_hmac) == 64
        assert lead.status == "new"
        assert lead.is_spam is False
        assert lead.notification_status == NotificationStatus.SENT

    def test_without_script_utm_values_come_from_the_page_address(
        self, client, home, home_html, humans_are_quick
    ):
        submit_from(
            client,
            home_html,
            headers={
                "HTTP_REFERER": "http://testserver/?utm_source=google&utm_medium=cpc&gclid=G-1&evil=1"
            },
        )
        lead = only_lead()
        assert (lead.utm_source, lead.utm_medium, lead.gclid) == ("google", "cpc", "G-1")

    def test_utm_values_from_another_site_are_ignored(self, client, home_html, humans_are_quick):
        submit_from(
            client,
            home_html,
            headers={
                "HTTP_REFERER": "https://evil.example/?utm_source=x",
                "HTTP_SEC_FETCH_SITE": "same-origin",
            },
        )
        assert only_lead().utm_source == ""

    def test_ip_hash_is_stable_per_client_and_differs_between_clients(
        self, client, home_html, humans_are_quick
    ):
        submit_from(client, home_html, headers={"REMOTE_ADDR": "198.51.100.1"})
        submit_from(
            client, home_html, email="b@example.com", headers={"REMOTE_ADDR": "198.51.100.2"}
        )
        submit_from(
            client, home_html, email="c@example.com", headers={"REMOTE_ADDR": "198.51.100.1"}
        )
        hashes = list(Lead.objects.order_by("pk").values_list("ip_hmac", flat=True))
        assert hashes[0] == hashes[2] != hashes[1]


class TestNoScript:
    def test_success_redirects_303_back_to_the_page_with_the_message(
        self, client, home, home_html, humans_are_quick
    ):
        response = submit_from(client, home_html)
        assert response.status_code == 303
        assert response["Location"] == "/?callback=sent#callback"
        page = client.get(response["Location"]).content.decode()
        assert "Request sent." in page
        assert CallBackForm.objects.get().success_message in page
        assert "data-callback-form" not in page

    def test_errors_rerender_the_page_with_input_kept(
        self, client, home, home_html, humans_are_quick
    ):
        response = submit_from(
            client, home_html, phone="12345", email="not-an-email", privacy_ack=None
        )
        assert response.status_code == 400
        html = response.content.decode()
        assert home.hero_heading in html  # the reader's own page, not a bare form
        assert 'id="callback-error-summary" role="alert"' in html
        assert '<a href="#callback-phone">Enter a valid phone number' in html
        assert '<a href="#callback-privacy_ack">Tick the box' in html
        assert re.search(
            r'name="privacy_ack"[^>]*'
            r'aria-describedby="callback-privacy callback-privacy_ack_error"',
            html,
        )
        assert re.search(
            r'name="phone" value="12345"[^>]*aria-invalid="true"[^>]*'
            r'aria-describedby="callback-phone_helptext callback-phone_error"',
            html,
        )
        assert 'id="callback-phone_error"' in html
        assert 'value="Zoë O&#x27;Brien-Łukasiewicz"' in html
        assert re.search(r'<option value="evening" selected>', html)
        assert Lead.objects.count() == 0
        assert "no-store" in response["Cache-Control"]

    def test_correcting_errors_then_sending_is_not_taken_for_a_bot(
        self, client, home_html, settings
    ):
        settings.LEADS_MIN_FILL_SECONDS = 3
        # A page rendered long ago, so the first attempt is not too fast either.
        action, fields = read_callback_form(home_html)
        data = signing.loads(fields["token"], salt=TOKEN_SALT)
        data["t"] -= 60
        fields["token"] = signing.dumps(data, salt=TOKEN_SALT, compress=True)
        first = client.post(
            action, {**fields, **answers(phone="1")}, HTTP_SEC_FETCH_SITE="same-origin"
        )
        assert first.status_code == 400
        response = submit_from(client, first.content.decode())
        assert response.status_code == 303
        assert only_lead().is_spam is False


class TestScript:
    def test_json_success(self, client, home_html, humans_are_quick):
        response = submit_from(client, home_html, json=True)
        assert response.status_code == 200
        assert response.json() == {
            "ok": True,
            "message": CallBackForm.objects.get().success_message,
        }
        assert only_lead().phone == "+441214960982"

    def test_json_field_errors(self, client, home_html, humans_are_quick):
        response = submit_from(client, home_html, json=True, email="", callback_time="never")
        assert response.status_code == 400
        assert response.json() == {
            "ok": False,
            "errors": {
                "email": ["Enter your email address"],
                "callback_time": ["Choose one of the times in the list"],
            },
        }
        assert Lead.objects.count() == 0


class TestSharedCache:
    def test_second_client_submits_the_same_cached_html(self, home, humans_are_quick):
        first_visitor = Client()
        cached_html = first_visitor.get(home.url).content.decode()
        second_visitor = Client()  # no cookies at all: only what a shared cache would hand out
        response = submit_from(second_visitor, cached_html)
        assert response.status_code == 303
        response = submit_from(first_visitor, cached_html, email="first@example.com", json=True)
        assert response.status_code == 200
        assert Lead.objects.count() == 2


class TestSpam:
    def test_honeypot_is_stored_flagged_and_not_notified(self, client, home_html, humans_are_quick):
        response = submit_from(client, home_html, website="http://spam.example")
        assert response.status_code == 303  # a bot learns nothing
        lead = only_lead()
        assert lead.is_spam and lead.spam_reasons == "honeypot"
        assert lead.notification_status == NotificationStatus.SKIPPED
        assert mail.outbox == []

    def test_too_fast_is_stored_flagged(self, client, home_html, settings):
        settings.LEADS_MIN_FILL_SECONDS = 30
        response = submit_from(client, home_html, json=True)
        assert response.json()["ok"] is True
        lead = only_lead()
        assert lead.is_spam and lead.spam_reasons == "too_fast"
        assert mail.outbox == []

    def test_a_real_person_after_a_flagged_attempt_still_gets_through(
        self, client, home_html, settings
    ):
        settings.LEADS_MIN_FILL_SECONDS = 30
        submit_from(client, home_html)
        settings.LEADS_MIN_FILL_SECONDS = 0
        submit_from(client, home_html)
        assert list(Lead.objects.order_by("pk").values_list("is_spam", flat=True)) == [True, False]
        assert len(mail.outbox) == 1


class TestDuplicates:
    def test_same_person_within_the_window_makes_one_lead(
        self, client, home_html, humans_are_quick
    ):
        assert submit_from(client, home_html).status_code == 303
        second = submit_from(
            client, home_html, email="ZOE@example.com", phone="+44 121 496 0982", json=True
        )
        assert second.json()["ok"] is True
        assert Lead.objects.count() == 1
        assert len(mail.outbox) == 1

    def test_after_the_window_a_new_lead(self, client, home_html, humans_are_quick, settings):
        settings.LEADS_DUPLICATE_WINDOW_SECONDS = 60
        submit_from(client, home_html)
        Lead.objects.update(created_at=Lead.objects.get().created_at - timedelta(minutes=2))
        cache.clear()
        submit_from(client, home_html)
        assert Lead.objects.count() == 2

    @pytest.mark.django_db(transaction=True)
    def test_a_request_racing_an_identical_one_joins_the_lead_it_stores(
        self, client, home_html, humans_are_quick
    ):
        # The first request of a no-script double click has claimed the person and commits
        # its row, on its own connection, while the second waits: one row, and the second
        # says it was sent.
        claim = duplicate_key("zoe@example.com", "+441214960982")
        cache.add(claim, 1, timeout=60)

        def first_request_commits():
            try:
                make_lead(email="zoe@example.com", phone="+441214960982")
            finally:
                connection.close()

        first = threading.Timer(0.3, first_request_commits)
        first.start()
        try:
            response = submit_from(client, home_html)
        finally:
            first.join()
        assert response.status_code == 303
        assert response["Location"].endswith("?callback=sent#callback")
        assert Lead.objects.count() == 1

    def test_when_the_request_in_flight_fails_the_waiting_one_stores_the_lead(
        self, client, home_html, humans_are_quick
    ):
        # The first request claimed the person, then failed and let go of the claim: the
        # browser shows the second request's answer, so the second must store the lead.
        claim = duplicate_key("zoe@example.com", "+441214960982")
        cache.add(claim, 1, timeout=60)
        first = threading.Timer(0.3, cache.delete, args=[claim])
        first.start()
        try:
            response = submit_from(client, home_html)
        finally:
            first.join()
        assert response["Location"].endswith("?callback=sent#callback")
        assert only_lead().email == "zoe@example.com"
        assert only_lead().notification_status == NotificationStatus.SENT
        assert len(mail.outbox) == 1

    def test_a_claim_left_by_a_request_that_died_does_not_cost_the_lead(
        self, client, home_html, humans_are_quick, settings
    ):
        # A worker killed between claiming and committing leaves the claim for the whole
        # duplicate window; every retry from that person must still be stored.
        settings.LEADS_CLAIM_WAIT_SECONDS = 0.2
        cache.add(duplicate_key("zoe@example.com", "+441214960982"), 1, timeout=60)
        response = submit_from(client, home_html)
        assert response["Location"].endswith("?callback=sent#callback")
        assert only_lead().email == "zoe@example.com"
        assert len(mail.outbox) == 1

    def test_same_submission_key_twice_is_one_row(self, client, home_html, humans_are_quick):
        key = "6f1c2a9e-2b7d-4c1e-9a55-0e3f5b1d7c11"
        submit_from(client, home_html, json=True, submission_key=key)
        # A retry of the same request, even with a changed email, is still the same request.
        response = submit_from(
            client, home_html, json=True, submission_key=key, email="other@example.com"
        )
        assert response.json()["ok"] is True
        assert str(only_lead().submission_key) == key

    def test_the_submission_key_wins_over_the_same_person_lately(self):
        from leads.capture import find_duplicate
        from tests.leads.factories import make_lead

        key = "0b4f1d2e-8c9a-4f6b-9d3e-1a2b3c4d5e6f"
        older = make_lead(email="zoe@example.com", phone="+441214960982", submission_key=key)
        older.created_at = older.created_at - timedelta(minutes=5)
        older.save()
        newer = make_lead(email="Zoe@Example.com", phone="+441214960982")
        assert find_duplicate("zoe@example.com", "+441214960982", key, genuine=True) == older
        assert find_duplicate("ZOE@example.com", "+441214960982", None, genuine=True) == newer
        assert find_duplicate("zoe@example.com", "+441214960983", None, genuine=True) is None


def test_leads_are_not_counted_as_uses_of_their_page_or_form(client, home_html, humans_are_quick):
    # Editors see a form's or page's usage; leads are not theirs to see, nor "uses".
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import ReferenceIndex

    from leads.models import DeskEvent, LeadNote

    submit_from(client, home_html)
    lead = only_lead()
    assert lead.form_id and lead.source_page_id
    assert ReferenceIndex.get_references_to(lead.form).count() == 0
    kinds = ContentType.objects.get_for_models(Lead, LeadNote, DeskEvent).values()
    assert not ReferenceIndex.objects.filter(content_type__in=kinds).exists()


class TestRefusals:
    def test_get_is_405_with_a_message(self, client):
        response = client.get(reverse("leads:submit"))
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert "only accepts the call-back form" in response.content.decode()

    def test_cross_site_post_is_403(self, client, home_html, humans_are_quick):
        response = submit_from(client, home_html, headers={"HTTP_SEC_FETCH_SITE": "cross-site"})
        assert response.status_code == 403
        assert "sent from another website" in response.content.decode()
        response = client.post(
            reverse("leads:submit"),
            {**read_callback_form(home_html)[1], **answers()},
            HTTP_ORIGIN="https://evil.example",
        )
        assert response.status_code == 403
        response = client.post(
            reverse("leads:submit"),
            {**read_callback_form(home_html)[1], **answers()},
            HTTP_REFERER="https://evil.example/page",
        )
        assert response.status_code == 403
        assert Lead.objects.count() == 0

    def test_same_origin_header_passes(self, client, home_html, humans_are_quick):
        response = client.post(
            reverse("leads:submit"),
            {**read_callback_form(home_html)[1], **answers()},
            HTTP_ORIGIN="http://testserver",
        )
        assert response.status_code == 303

    @pytest.mark.parametrize("token", [None, "", "garbage", "eyJwIjoxfQ:1abc:forged"])
    def test_missing_or_forged_token_is_400(self, client, home_html, token, humans_are_quick):
        response = submit_from(client, home_html, token=token)
        assert response.status_code == 400
        assert "The form was incomplete or had been changed" in response.content.decode()
        assert Lead.objects.count() == 0

    def test_token_signed_with_another_salt_is_refused(self, client, home_html, humans_are_quick):
        forged = signing.dumps({"p": 1, "f": 1, "t": 0, "v": ""}, salt="something-else")
        assert submit_from(client, home_html, token=forged).status_code == 400

    def test_expired_page_keeps_input_and_offers_a_fresh_token(
        self, client, home_html, settings, monkeypatch
    ):
        settings.LEADS_FORM_MAX_AGE = 60
        settings.LEADS_MIN_FILL_SECONDS = 3
        action, fields = read_callback_form(home_html)
        data = signing.loads(fields["token"], salt=TOKEN_SALT)
        # The same token, signed as if the page had been rendered two minutes ago.
        two_minutes_ago = time.time() - 120
        with monkeypatch.context() as patched:
            patched.setattr(time, "time", lambda: two_minutes_ago)
            fields["token"] = signing.dumps(data, salt=TOKEN_SALT, compress=True)
        response = client.post(action, {**fields, **answers()}, HTTP_SEC_FETCH_SITE="same-origin")
        assert response.status_code == 400
        html = response.content.decode()
        assert "This page was open for a long time" in html
        assert 'value="zoe@example.com"' in html
        assert Lead.objects.count() == 0
        # The re-rendered form sends fine, and is not taken for a bot.
        assert submit_from(client, html).status_code == 303
        assert only_lead().is_spam is False

    def test_oversized_body_is_413(self, client, home_html):
        response = submit_from(client, home_html, full_name="x" * 20_000)
        assert response.status_code == 413
        assert Lead.objects.count() == 0

    def test_json_refusals_are_json(self, client, home_html):
        response = submit_from(client, home_html, json=True, token="bad")
        assert response.status_code == 400
        assert response.json()["ok"] is False


class TestDeletedThings:
    def test_deleted_page_still_keeps_the_lead(self, client, home, home_html, humans_are_quick):
        title, url = home.title, home.url
        home.delete()
        html = home_html
        response = submit_from(client, html)
        assert response.status_code == 303
        assert response["Location"] == "/leads/callback/sent/?callback=sent#callback"
        assert "Request sent" in client.get(response["Location"]).content.decode()
        lead = only_lead()
        assert lead.source_page is None
        assert (lead.source_page_title, lead.source_page_url) == (title, url)

    def test_deleted_snippet_still_keeps_the_lead(self, client, home_html, humans_are_quick):
        CallBackForm.objects.all().delete()
        response = submit_from(client, home_html, json=True)
        assert response.status_code == 200
        assert response.json()["message"] == CallBackForm().success_message
        lead = only_lead()
        assert lead.form is None
        assert len(mail.outbox) == 1  # falls back to LEADS_NOTIFY_TO


def test_logs_carry_no_personal_data(client, home_html, caplog, humans_are_quick):
    caplog.set_level("DEBUG")
    submit_from(client, home_html, headers={"REMOTE_ADDR": "203.0.113.77"})
    submit_from(client, home_html, phone="bad")
    submit_from(client, home_html, headers={"HTTP_SEC_FETCH_SITE": "cross-site"})
    text = caplog.text + json.dumps([r.args for r in caplog.records], default=str)
    for secret in ["Zoë", "zoe@example.com", "4960982", "496 0982", "203.0.113.77"]:
        assert secret not in text
    assert "Stored lead" in caplog.text
