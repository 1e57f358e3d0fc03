"""Defects found when the desk was tried as a lead manager would (issue 18): personal data in
the audit log, 500s on malformed addresses, editors locked out of the form's wording, and a
phone example the form itself refused."""

import importlib
import io
import re

import pytest
from cookie_consent.models import CookieGroup
from django.apps import apps as django_apps
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.utils import timezone
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from leads import phones
from leads.forms import LeadForm
from leads.models import CallAttempt, CallBackForm, DeskEvent, Lead
from tests.leads.factories import make_lead
from tests.leads.traces import tables_holding
from tests.second_factor import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

INDEX = "/admin/leads/lead/"
# Values that identify one person, each searched for in every table after erasure and purge.
NAME = "Quentin Traceable"
EMAIL = "quentin.traceable@example.com"
PHONE = "+441214960777"


def export_with_search(client, term, **filters):
    response = client.get(INDEX, {"q": term, "export": "csv", **filters})
    assert response.status_code == 200
    b"".join(response.streaming_content)


class TestSearchTermsStayOutOfTheAuditLog:
    def test_export_records_that_a_search_was_used_and_the_filters_not_the_term(self, as_manager):
        make_lead(full_name=NAME, email=EMAIL, status="new")
        export_with_search(as_manager, EMAIL, status__exact="new")
        event = DeskEvent.objects.get(kind="export")
        assert event.detail["search"] is True
        assert event.detail["filters"] == {"status__exact": ["new"]}
        assert event.row_count == 1
        for text in (str(event.detail), str(ModelLogEntry.objects.values_list("data"))):
            assert "quentin" not in text.lower()

    def test_a_filter_value_that_is_not_a_known_choice_is_not_kept(self, as_manager):
        make_lead(full_name=NAME)
        response = as_manager.get(
            INDEX, {"source_page": f"t:{NAME}", "owner": "none", "export": "csv"}
        )
        b"".join(response.streaming_content)
        detail = DeskEvent.objects.get(kind="export").detail
        assert detail["filters"] == {"source_page": ["(other)"], "owner": ["none"]}
        assert detail["search"] is False

    def test_erasure_leaves_no_trace_in_any_table(self, client, as_manager, django_user_model):
        lead = make_lead(full_name=NAME, email=EMAIL, phone=PHONE)
        as_manager.post(f"{INDEX}inspect/{lead.pk}/", {"action": "note", "text": f"{NAME} said"})
        as_manager.post(
            f"/admin/leads/queue/{lead.pk}/call/",
            {f"lead-{lead.pk}-outcome": "voicemail", f"lead-{lead.pk}-note": f"Asked for {NAME}"},
        )
        assert CallAttempt.objects.filter(note__contains=NAME).exists()
        export_with_search(as_manager, NAME)
        export_with_search(as_manager, "0121 496 0777")
        assert tables_holding(NAME), "the scan must see the lead before erasure"
        dpo = django_user_model.objects.create_user("dpo", password="x", is_superuser=True)
        sign_in_with_second_factor(client, dpo)
        client.post(f"{INDEX}erase/", {"email": EMAIL, "phone": PHONE, "confirm": "yes"})
        assert not Lead.objects.exists()
        for value in (NAME, EMAIL, PHONE, "0121 496 0777", "Traceable"):
            assert tables_holding(value) == [], value

    def test_retention_purge_leaves_no_trace_in_any_table(self, as_manager, settings):
        settings.LEADS_RETENTION_DAYS = 30
        lead = make_lead(
            full_name=NAME,
            email=EMAIL,
            phone=PHONE,
            created_at=timezone.now() - timezone.timedelta(days=31),
        )
        as_manager.post(f"{INDEX}inspect/{lead.pk}/", {"action": "note", "text": f"{EMAIL}"})
        as_manager.post(
            f"/admin/leads/queue/{lead.pk}/call/",
            {f"lead-{lead.pk}-outcome": "no_answer", f"lead-{lead.pk}-note": f"{PHONE} rang out"},
        )
        assert CallAttempt.objects.filter(note__contains=PHONE).exists()
        export_with_search(as_manager, EMAIL)
        call_command("purge_leads", "--apply", stdout=io.StringIO())
        for value in (NAME, EMAIL, PHONE, "Traceable"):
            assert tables_holding(value) == [], value


class TestMigratingOldExportEvents:
    def test_search_terms_already_stored_are_removed_from_events_and_the_log(self, manager):
        migration = importlib.import_module("leads.migrations.0009_call_queue")
        old = {"format": "csv", "filters": {"q": [EMAIL], "status__exact": ["new"], "p": ["2"]}}
        event = DeskEvent.objects.create(kind="export", user=manager, row_count=1, detail=old)
        log(event, "leads.export", user=manager, data={"rows": 1, **old})
        assert tables_holding(EMAIL)
        migration.scrub_export_events(django_apps, None)
        event.refresh_from_db()
        assert event.detail == {
            "format": "csv",
            "filters": {"status__exact": ["new"]},
            "search": True,
        }
        entry = ModelLogEntry.objects.get(action="leads.export")
        assert entry.data == {"rows": 1, **event.detail}
        assert tables_holding(EMAIL) == []


MALFORMED = [
    "?created_at__gte=notadate",
    "?created_at__lt=2026-13-45",
    "?is_spam__exact=maybe",
    "?status__exact=new&created_at__gte=notadate&export=csv",
]


class TestMalformedAddresses:
    @pytest.mark.parametrize("query", MALFORMED)
    def test_bad_filters_show_the_list_with_a_message(self, as_manager, query):
        make_lead(full_name="Still listed")
        as_manager.raise_request_exception = False
        response = as_manager.get(INDEX + query, follow=True)
        assert response.status_code == 200
        html = response.content.decode()
        assert "could not be read" in html
        assert "Still listed" in html
        assert not DeskEvent.objects.exists()

    @pytest.mark.parametrize("query", ["?q=%00", "?q=%00&export=csv", "?status__exact=%00"])
    def test_a_null_character_is_refused(self, as_manager, query):
        make_lead()
        as_manager.raise_request_exception = False
        assert as_manager.get(INDEX + query).status_code == 400
        assert not DeskEvent.objects.exists()

    @pytest.mark.parametrize("name", ["owner", "form", "source_page", "breach_type"])
    @pytest.mark.parametrize("value", ["9" * 30, "9" * 5000, "\u00b2", "2147483648"])
    def test_a_number_no_row_can_have_is_not_a_500(self, as_manager, name, value):
        make_lead(full_name="Not this one")
        as_manager.raise_request_exception = False
        response = as_manager.get(INDEX, {name: value}, follow=True)
        # The list, never a 500 (Django drops a filter with no choices, e.g. no forms yet).
        assert response.status_code == 200
        if name in ("owner", "source_page"):
            assert "Not this one" not in response.content.decode()

    @pytest.mark.parametrize(
        "suffix", ["abc/", "abc/?export=csv", "12ab/", "-1/", "9" * 30 + "/", "\u00b2/"]
    )
    def test_a_lead_number_that_is_not_a_number_is_not_found(self, as_manager, suffix):
        as_manager.raise_request_exception = False
        assert as_manager.get(f"{INDEX}inspect/{suffix}").status_code == 404

    def test_hostile_values_in_the_desks_forms_are_refused_not_500(self, as_manager, manager):
        lead = make_lead()
        manager.user_permissions.add(Permission.objects.get(codename="delete_lead"))
        as_manager.raise_request_exception = False
        inspect = f"{INDEX}inspect/{lead.pk}/"
        assert as_manager.post(inspect, {"action": "note", "text": "a\x00b"}).status_code == 400
        assert as_manager.get(f"{INDEX}erase/", {"email": "x\x00@example.com"}).status_code == 400
        assert as_manager.post(f"{INDEX}subject-access/", {"phone": "0121\x00"}).status_code == 400
        response = as_manager.post(inspect, {"action": "status", "status": "bogus"}, follow=True)
        assert response.status_code == 200
        assert "cannot become that status" in response.content.decode()
        assert not lead.notes.exists()

    def test_a_missing_lead_is_not_found(self, as_manager):
        assert as_manager.get(f"{INDEX}inspect/999999/").status_code == 404


def snippet_post_data(form, **changes):
    values = {
        name: getattr(form, name)
        for name in [
            "name",
            "heading",
            "intro",
            "required_note",
            "submit_label",
            "success_message",
            "privacy_notice",
            "privacy_link_text",
            "notify_to",
        ]
    }
    values["privacy_page"] = ""
    values.update(changes)
    return values


class TestEditorsEditWording:
    def test_editors_edit_the_call_back_forms_wording_but_not_its_recipients(self, client, editor):
        form = CallBackForm.objects.create(name="Default", notify_to="claims@example.com")
        client.force_login(editor)
        url = f"/admin/snippets/leads/callbackform/edit/{form.pk}/"
        page = client.get(url)
        assert page.status_code == 200
        assert 'name="heading"' in page.content.decode()
        assert 'name="notify_to"' not in page.content.decode()
        response = client.post(
            url,
            snippet_post_data(
                form, heading="Talk to us about your claim", notify_to="thief@example.com"
            ),
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        form.refresh_from_db()
        assert form.heading == "Talk to us about your claim"
        assert form.notify_to == "claims@example.com"

    def test_superusers_change_the_recipients(self, admin_client):
        form = CallBackForm.objects.create(name="Default", notify_to="claims@example.com")
        url = f"/admin/snippets/leads/callbackform/edit/{form.pk}/"
        assert 'name="notify_to"' in admin_client.get(url).content.decode()
        admin_client.post(url, snippet_post_data(form, notify_to="team@example.com"))
        form.refresh_from_db()
        assert form.notify_to == "team@example.com"

    def test_editors_edit_a_cookie_groups_wording_but_not_whether_it_is_required(
        self, client, editor
    ):
        group = CookieGroup.objects.filter(is_required=False).first()
        client.force_login(editor)
        url = f"/admin/cookie_consent/cookiegroup/edit/{group.pk}/"
        page = client.get(url)
        assert page.status_code == 200
        assert 'name="is_required"' not in page.content.decode()
        response = client.post(
            url,
            {
                "name": group.name,
                "varname": group.varname,
                "description": "Counting visits so we can improve the site.",
                "is_required": "on",
                "is_deletable": "on" if group.is_deletable else "",
                "ordering": group.ordering,
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        group.refresh_from_db()
        assert group.description == "Counting visits so we can improve the site."
        assert group.is_required is False

    def test_editors_still_have_no_lead_permission(self, editor):
        assert editor.has_perm("leads.change_callbackform")
        for codename in ["view_lead", "change_lead", "export_lead", "delete_lead"]:
            assert not editor.has_perm(f"leads.{codename}"), codename


def examples_in(text):
    return re.findall(r"\+?\d[\d ]{8,}\d", text)


def test_every_phone_example_shown_to_people_is_one_the_form_accepts():
    texts = [
        Lead._meta.get_field("phone").help_text,
        LeadForm.base_fields["phone"].help_text,
        *LeadForm.base_fields["phone"].error_messages.values(),
    ]
    form = LeadForm()
    texts += [str(form.fields["phone"].error_messages.get("max_length", ""))]
    examples = [example for text in texts for example in examples_in(str(text))]
    assert examples, "no phone example found to check"
    for example in examples:
        assert phones.valid_e164(example), example
