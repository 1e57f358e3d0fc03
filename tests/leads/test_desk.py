"""The leads desk: who may see and export leads, what the files contain, and the audit trail."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.models import ModelLogEntry

from leads.models import DeskEvent, Lead, LeadNote
from tests.leads.factories import make_lead
from tests.second_factor import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

INDEX = "/admin/leads/lead/"
PAYLOADS = ['=HYPERLINK("http://evil.example","click")', "+SUM(1)", "-2+3", "@cmd", "\tTAB"]


def read_csv(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


class TestWhoMaySeeWhat:
    def test_groups_exist_with_the_right_permissions(self):
        managers = set(
            Group.objects.get(name="Lead managers").permissions.values_list("codename", flat=True)
        )
        assert {"view_lead", "change_lead", "export_lead", "access_admin"} <= managers
        assert "delete_lead" not in managers
        editors = Group.objects.get(name="Editors").permissions.filter(
            content_type__app_label="leads", content_type__model="lead"
        )
        assert not editors.exists()

    def test_editors_get_403_on_list_inspect_and_export(self, client, editor):
        lead = make_lead()
        client.force_login(editor)
        assert client.get("/admin/").status_code == 200
        assert INDEX not in client.get("/admin/").content.decode()  # no Leads menu
        for url in [
            INDEX,
            f"{INDEX}inspect/{lead.pk}/",
            f"{INDEX}?export=csv",
            f"{INDEX}?export=xlsx",
            f"{INDEX}erase/",
            f"{INDEX}subject-access/",
        ]:
            assert client.get(url).status_code == 403, url

    def test_any_permission_is_not_enough_to_list(self, client, django_user_model):
        user = django_user_model.objects.create_user("changer", password="x")
        user.user_permissions.add(
            Permission.objects.get(codename="access_admin"),
            Permission.objects.get(codename="change_lead"),
            Permission.objects.get(codename="add_lead"),
        )
        make_lead()
        client.force_login(user)
        assert client.get(INDEX).status_code == 403
        assert client.get(f"{INDEX}?export=csv").status_code == 403

    def test_export_needs_its_own_permission(self, client, django_user_model):
        user = django_user_model.objects.create_user("viewer", password="x")
        user.user_permissions.add(
            Permission.objects.get(codename="access_admin"),
            Permission.objects.get(codename="view_lead"),
        )
        make_lead()
        sign_in_with_second_factor(client, user)
        response = client.get(INDEX)
        assert response.status_code == 200
        assert "Download CSV" not in response.content.decode()
        assert client.get(f"{INDEX}?export=csv").status_code == 403
        assert client.get(f"{INDEX}?export=xlsx").status_code == 403
        assert not DeskEvent.objects.exists()

    def test_captured_answers_cannot_be_edited_or_leads_created(self, as_manager):
        lead = make_lead()
        assert as_manager.get(f"{INDEX}edit/{lead.pk}/").status_code == 403
        assert as_manager.get(f"{INDEX}create/").status_code == 403
        assert as_manager.get(f"{INDEX}delete/{lead.pk}/").status_code == 403


class TestList:
    def test_newest_first_with_london_time(self, as_manager):
        make_lead(full_name="Older", created_at=datetime(2026, 1, 10, 12, 0, tzinfo=UTC))
        make_lead(full_name="Newer", created_at=datetime(2026, 7, 10, 12, 0, tzinfo=UTC))
        html = as_manager.get(INDEX).content.decode()
        assert html.index("Newer") < html.index("Older")
        assert "2026-07-10 13:00:00 +01:00" in html
        assert "2026-01-10 12:00:00 +00:00" in html

    def test_search_finds_a_phone_typed_the_national_way(self, as_manager):
        make_lead(full_name="Jersey caller", phone="+441534440123")
        make_lead(full_name="Someone else")
        html = as_manager.get(INDEX, {"q": "01534 440123"}).content.decode()
        assert "Jersey caller" in html
        assert "Someone else" not in html


class TestExport:
    def test_csv_has_exactly_the_filtered_and_searched_rows(self, as_manager):
        keep = make_lead(full_name="Alice Match", status="contacted")
        make_lead(full_name="Alice Other status", status="new")
        make_lead(full_name="Bob", status="contacted")
        response = as_manager.get(
            INDEX, {"status__exact": "contacted", "q": "Alice", "export": "csv"}
        )
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert response.streaming
        rows = read_csv(response)
        assert rows[0][:3] == ["Lead id", "Received (Europe/London)", "Full name"]
        assert [row[0] for row in rows[1:]] == [str(keep.pk)]

    def test_csv_neutralises_formula_payloads(self, as_manager):
        for payload in PAYLOADS:
            make_lead(full_name=payload, utm_campaign=payload)
        rows = read_csv(as_manager.get(INDEX, {"export": "csv"}))
        names = [row[2] for row in rows[1:]]
        assert sorted(names) == sorted("'" + payload for payload in PAYLOADS)
        for row in rows:
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell

    def test_csv_phone_keeps_its_meaning(self, as_manager):
        make_lead(phone="+441534440123")
        row = read_csv(as_manager.get(INDEX, {"export": "csv"}))[1]
        assert row[3] == "01534 440123"
        assert row[4] == "'+441534440123"

    def test_bst_and_gmt_times(self, as_manager):
        make_lead(created_at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
        make_lead(created_at=datetime(2026, 12, 1, 9, 15, tzinfo=UTC))
        rows = read_csv(as_manager.get(INDEX, {"export": "csv"}))
        assert [row[1] for row in rows[1:]] == [
            "2026-12-01 09:15:00 +00:00",
            "2026-07-01 00:30:00 +01:00",
        ]

    def test_xlsx_cells_are_text_and_payloads_inert(self, as_manager):
        for payload in PAYLOADS:
            make_lead(full_name=payload, phone="+441214960001")
        response = as_manager.get(INDEX, {"export": "xlsx"})
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Leads"]
        rows = list(sheet.iter_rows(min_row=2))
        assert sorted(row[2].value for row in rows) == sorted(PAYLOADS)
        for row in rows:
            for cell in row:
                # Text, never a formula ("f") or number ("n"); empty cells read back as None.
                assert cell.data_type == "s" or cell.value is None, (cell.coordinate, cell.value)
        assert rows[0][4].value == "+441214960001"

    def test_every_export_is_audited(self, as_manager, manager):
        make_lead(status="new")
        make_lead(status="new")
        make_lead(status="closed")
        as_manager.get(INDEX, {"status__exact": "new", "export": "csv"})
        event = DeskEvent.objects.get()
        assert (event.kind, event.user, event.row_count) == ("export", manager, 2)
        assert event.detail["filters"] == {"status__exact": ["new"]}
        entry = ModelLogEntry.objects.for_instance(event).get(action="leads.export")
        assert entry.user == manager
        assert entry.data["rows"] == 2
        assert entry.data["format"] == "csv"
        # Small exports also appear in each exported lead's own history.
        exported = Lead.objects.filter(status="new")
        for lead in exported:
            assert ModelLogEntry.objects.for_instance(lead).filter(action="leads.export").exists()
        closed = Lead.objects.get(status="closed")
        assert not ModelLogEntry.objects.for_instance(closed).exists()

    def test_big_exports_are_logged_once(self, as_manager, settings):
        settings.LEADS_PER_LEAD_LOG_MAX = 1
        make_lead()
        make_lead()
        as_manager.get(INDEX, {"export": "csv"})
        assert ModelLogEntry.objects.filter(action="leads.export").count() == 1


class TestWorkingALead:
    def inspect(self, client, lead):
        return client.get(f"{INDEX}inspect/{lead.pk}/")

    def post(self, client, lead, **data):
        return client.post(f"{INDEX}inspect/{lead.pk}/", data)

    def test_status_owner_and_notes_are_logged(self, as_manager, manager):
        lead = make_lead()
        self.post(as_manager, lead, action="status", status="contacted")
        self.post(as_manager, lead, action="owner", owner=manager.pk)
        self.post(as_manager, lead, action="note", text="Called, voicemail. Try Tuesday.")
        lead.refresh_from_db()
        assert (lead.status, lead.owner) == ("contacted", manager)
        note = LeadNote.objects.get()
        assert (note.author, note.text) == (manager, "Called, voicemail. Try Tuesday.")
        actions = list(
            ModelLogEntry.objects.for_instance(lead)
            .order_by("timestamp")
            .values_list("action", flat=True)
        )
        assert actions == ["leads.status", "leads.owner", "leads.note"]
        html = self.inspect(as_manager, lead).content.decode()
        assert "Called, voicemail. Try Tuesday." in html
        assert "Changed status" in html and "new → contacted" in html
        assert "Notification to the claims team" in html

    def test_workflow_refuses_skipping_steps(self, as_manager):
        lead = make_lead()
        self.post(as_manager, lead, action="status", status="qualified")
        lead.refresh_from_db()
        assert lead.status == "new"
        assert not ModelLogEntry.objects.filter(action="leads.status").exists()

    def test_unflagging_spam_notifies(self, as_manager, mailoutbox):
        lead = make_lead(is_spam=True, spam_reasons="too_fast", notification_status="skipped")
        self.post(as_manager, lead, action="not_spam")
        lead.refresh_from_db()
        assert lead.is_spam is False
        assert lead.notification_status == "sent"
        assert len(mailoutbox) == 1

    def test_viewers_cannot_work_a_lead(self, client, django_user_model):
        user = django_user_model.objects.create_user("viewer", password="x")
        user.user_permissions.add(
            Permission.objects.get(codename="access_admin"),
            Permission.objects.get(codename="view_lead"),
        )
        lead = make_lead()
        sign_in_with_second_factor(client, user)
        assert self.inspect(client, lead).status_code == 200
        assert self.post(client, lead, action="status", status="contacted").status_code == 403


class TestRetentionAndRights:
    def test_purge_dry_run_changes_nothing_and_apply_removes_exactly_the_old(self, settings):
        settings.LEADS_RETENTION_DAYS = 30
        old = make_lead(created_at=timezone.now() - timedelta(days=31))
        LeadNote.objects.create(lead=old, text="Spoke to them")
        fresh = make_lead(created_at=timezone.now() - timedelta(days=29))
        out = io.StringIO()
        call_command("purge_leads", stdout=out)
        assert "Dry run: 1 leads" in out.getvalue()
        assert Lead.objects.count() == 2
        call_command("purge_leads", "--apply", stdout=io.StringIO())
        assert list(Lead.objects.values_list("pk", flat=True)) == [fresh.pk]
        assert not LeadNote.objects.exists()
        event = DeskEvent.objects.get(kind="purge")
        assert event.row_count == 1

    def test_purge_leaves_no_personal_data_in_the_audit_log(self, settings, as_manager):
        settings.LEADS_RETENTION_DAYS = 30
        old = make_lead(
            full_name="Zoë Secret",
            email="zoe.secret@example.com",
            created_at=timezone.now() - timedelta(days=40),
        )
        as_manager.post(f"{INDEX}inspect/{old.pk}/", {"action": "note", "text": "Zoë Secret said"})
        call_command("purge_leads", "--apply", stdout=io.StringIO())
        for entry in ModelLogEntry.objects.all():
            text = f"{entry.label} {entry.data}"
            assert "Zoë" not in text and "zoe.secret" not in text

    def test_purge_task_runs_the_same_job(self, settings):
        from leads.tasks import purge_expired_leads

        settings.LEADS_RETENTION_DAYS = 30
        make_lead(created_at=timezone.now() - timedelta(days=31))
        purge_expired_leads.enqueue()
        assert Lead.objects.count() == 0

    def test_erasure_removes_every_lead_of_the_person(self, client, manager, django_user_model):
        dpo = django_user_model.objects.create_user("dpo", password="x", is_superuser=True)
        make_lead(email="Zoe@Example.com", phone="+441214960001")
        make_lead(email="other@example.com", phone="+441214960001")  # same phone
        make_lead(email="zoe@example.com", phone="+441214960999")  # same email
        keep = make_lead(email="someone@example.com", phone="+441214960555")
        sign_in_with_second_factor(client, dpo)
        preview = client.get(
            f"{INDEX}erase/", {"email": "zoe@example.com", "phone": "0121 496 0001"}
        )
        assert "3 leads found" in preview.content.decode()
        assert Lead.objects.count() == 4
        client.post(
            f"{INDEX}erase/",
            {"email": "zoe@example.com", "phone": "0121 496 0001", "confirm": "yes"},
        )
        assert list(Lead.objects.values_list("pk", flat=True)) == [keep.pk]
        event = DeskEvent.objects.get(kind="erasure")
        assert event.row_count == 3 and event.user == dpo
        assert "zoe" not in str(event.detail).lower()
        assert ModelLogEntry.objects.filter(action="leads.erasure").exists()

    def test_lead_managers_cannot_erase(self, as_manager):
        make_lead()
        assert (
            as_manager.post(
                f"{INDEX}erase/", {"email": "x@example.com", "confirm": "yes"}
            ).status_code
            == 403
        )

    def test_subject_access_export(self, as_manager, manager):
        make_lead(email="zoe@example.com", full_name="Zoë")
        make_lead(email="other@example.com")
        response = as_manager.post(f"{INDEX}subject-access/", {"email": "ZOE@example.com"})
        rows = read_csv(response)
        assert len(rows) == 2 and rows[1][2] == "Zoë"
        assert DeskEvent.objects.get(kind="subject_access").row_count == 1


class TestDashboard:
    def test_panel_for_lead_managers_only(self, client, manager, editor):
        make_lead(source_page_title="Police case study")
        make_lead(created_at=timezone.now() - timedelta(days=40))
        sign_in_with_second_factor(client, manager)
        html = client.get("/admin/").content.decode()
        assert 'id="leads-summary-heading"' in html
        assert "<strong>1</strong> new today" in html
        assert "Police case study (2)" in html  # all time, spam excluded
        assert "<svg" in html
        client.force_login(editor)
        assert 'id="leads-summary-heading"' not in client.get("/admin/").content.decode()


def test_xlsx_over_the_cap_is_refused_with_advice(as_manager, settings):
    settings.LEADS_XLSX_MAX_ROWS = 2
    for _ in range(3):
        make_lead()
    response = as_manager.get(INDEX, {"status__exact": "new", "export": "xlsx"}, follow=True)
    assert "3 leads are too many for an XLSX file" in response.content.decode()
    assert response.redirect_chain[-1][0] == f"{INDEX}?status__exact=new"
    assert not DeskEvent.objects.exists()


def test_list_queries_do_not_grow_with_the_number_of_leads(as_manager, manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert as_manager.get(INDEX).status_code == 200
        return len(queries)

    for _ in range(3):
        make_lead(owner=manager)
    few = count_queries()
    for _ in range(27):
        make_lead(owner=manager)
    assert count_queries() == few
