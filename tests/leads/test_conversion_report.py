"""What editors see: the report's figures match a fixture of known views and leads (this
period and the one before), its downloads are formula-safe, the case study's panel and
`conversion_report` agree, and no lead's details show anywhere."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from breaches.models import BreachCaseStudyPage
from leads.casework import change_status
from leads.conversion.classify import View
from leads.conversion.figures import Filters, Period, figures
from leads.conversion.store import row_key
from leads.models import LeadStatus, PageViewDay
from tests.leads.factories import make_lead
from tests.second_factor import sign_in_with_second_factor

REPORT = "/admin/reports/conversion/"
HOSTILE_TITLE = '=HYPERLINK("http://evil.example","x")'


def add_views(page, day, views, campaign=("", "", ""), device="desktop"):
    view = View("localhost", page.url, *campaign, "", device)
    PageViewDay.objects.create(
        day=day,
        key=row_key(day, view),
        path=page.url,
        page=page,
        utm_source=campaign[0],
        utm_medium=campaign[1],
        utm_campaign=campaign[2],
        device=device,
        views=views,
    )


@pytest.fixture
def known(demo_site, django_user_model):
    """Two case studies with known views and leads over the last 30 days and the 30 before."""
    today = timezone.localdate()
    pages = BreachCaseStudyPage.objects.live().order_by("pk")
    first, second = pages[0], pages[1]
    first.title = HOSTILE_TITLE
    first.save_revision().publish()
    add_views(first, today, 120)
    add_views(first, today - datetime.timedelta(days=3), 80, ("news", "email", "spring"))
    add_views(second, today - datetime.timedelta(days=1), 50, device="mobile")
    add_views(first, today - datetime.timedelta(days=40), 100)  # the previous period
    now = timezone.now()
    staff = django_user_model.objects.create_user("desk", password="x")
    called = make_lead(source_page=first, created_at=now - datetime.timedelta(minutes=90))
    change_status(called, LeadStatus.CONTACTED, staff)
    change_status(called, LeadStatus.QUALIFIED, staff)
    for _ in range(2):
        make_lead(source_page=first, created_at=now - datetime.timedelta(hours=1))
    make_lead(
        source_page=first,
        created_at=now - datetime.timedelta(days=3),
        utm_source="news",
        utm_medium="email",
        utm_campaign="spring",
    )
    make_lead(source_page=first, created_at=now, is_spam=True)
    make_lead(source_page=second, created_at=now - datetime.timedelta(days=1))
    make_lead(source_page=first, created_at=now - datetime.timedelta(days=40))
    return first, second


@pytest.fixture
def editor_client(client, django_user_model):
    user = django_user_model.objects.create_user("editor", password="x")
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return client


def rows_of(csv_text):
    return list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))))


@pytest.mark.django_db
class TestFigures:
    def test_per_page_figures_match_the_fixture(self, known):
        first, second = known
        result = figures(Period.last(30, timezone.localdate()))
        by_page = {row.page_id: row for row in result.rows}
        a, b = by_page[first.pk], by_page[second.pk]
        assert (a.views, a.leads, a.conversion, a.qualified) == (200, 4, 2.0, 1)
        assert a.median_first_call_minutes == pytest.approx(90, abs=1)
        assert (b.views, b.leads, b.conversion, b.qualified) == (50, 1, 2.0, 0)
        assert b.median_first_call_minutes is None
        assert (result.total.views, result.total.leads) == (250, 5)
        assert sum(views for _, views, _ in result.daily) == 250
        assert sum(leads for _, _, leads in result.daily) == 5

    def test_per_campaign_and_filters(self, known):
        period = Period.last(30, timezone.localdate())
        campaigns = {row.campaign: row for row in figures(period, "campaign").rows}
        assert (
            campaigns["news / email / spring"].views,
            campaigns["news / email / spring"].leads,
        ) == (80, 1)
        assert (campaigns["(none)"].views, campaigns["(none)"].leads) == (170, 4)
        mobile = figures(period, filters=Filters(device="mobile"))
        assert mobile.total.views == 50

    def test_previous_period(self, known):
        period = Period.last(30, timezone.localdate()).previous()
        result = figures(period)
        assert (result.total.views, result.total.leads) == (100, 1)

    def test_a_constant_number_of_queries(self, known):
        period = Period.last(30, timezone.localdate())
        figures(period)
        with CaptureQueriesContext(connection) as few:
            figures(period)
        for page in BreachCaseStudyPage.objects.live()[2:6]:
            add_views(page, timezone.localdate(), 10)
            make_lead(source_page=page)
        with CaptureQueriesContext(connection) as more:
            figures(period)
        assert len(more) == len(few)


@pytest.mark.django_db
class TestReport:
    def test_editors_see_figures_and_no_lead_details(self, known, editor_client):
        response = editor_client.get(REPORT)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Conversion" in html
        assert "<svg" in html and "Views (line) and call-back requests (bars)" in html
        assert "2.00%" in html
        assert "Reader " not in html and "@example.com" not in html
        # The hostile title is shown as text, never as markup.
        assert "=HYPERLINK(&quot;" in html

    def test_in_the_reports_menu_for_editors_only(
        self, known, editor_client, client, django_user_model
    ):
        assert REPORT in editor_client.get("/admin/").content.decode()
        nobody = django_user_model.objects.create_user("nobody", password="x")
        nobody.user_permissions.add(
            *__import__(
                "django.contrib.auth.models", fromlist=["Permission"]
            ).Permission.objects.filter(codename="access_admin")
        )
        client.force_login(nobody)
        assert client.get(REPORT).status_code in (302, 403)

    def test_lead_managers_see_it_and_editors_get_no_lead_permission(
        self, known, client, django_user_model
    ):
        manager = django_user_model.objects.create_user("manager", password="x")
        manager.groups.add(Group.objects.get(name="Lead managers"))
        sign_in_with_second_factor(client, manager)
        assert client.get(REPORT).status_code == 200
        editors = Group.objects.get(name="Editors").permissions
        # Editors edit the call-back form's wording (leads.0009), and nothing else of leads.
        leads_models = editors.filter(content_type__app_label="leads")
        assert set(leads_models.values_list("content_type__model", flat=True)) == {"callbackform"}

    def test_csv_download_is_formula_safe(self, known, editor_client):
        response = editor_client.get(REPORT + "?export=csv")
        body = b"".join(response.streaming_content).decode()
        assert body.startswith("\ufeff")
        rows = rows_of(body)
        assert rows[0][:6] == [
            "Page",
            "Path",
            "Campaign",
            "Views",
            "Call-back requests",
            "Conversion (%)",
        ]
        first = next(row for row in rows if "HYPERLINK" in row[0])
        assert first[0] == "'" + HOSTILE_TITLE
        assert first[3:6] == ["200", "4", "2.0"]

    def test_xlsx_download(self, known, editor_client):
        response = editor_client.get(REPORT + "?export=xlsx")
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        values = [[cell.value for cell in row] for row in sheet.iter_rows()]
        hostile = next(row for row in values if row[0] and "HYPERLINK" in str(row[0]))
        assert hostile[0] == HOSTILE_TITLE  # a text cell, never a formula
        assert hostile[3] == 200

    def test_filters_dates_grouping_and_sorting(self, known, editor_client):
        today = timezone.localdate()
        since = today - datetime.timedelta(days=2)
        response = editor_client.get(
            REPORT,
            {
                "day_from": since.isoformat(),
                "day_to": today.isoformat(),
                "group": "campaign",
                "ordering": "-leads",
            },
        )
        assert response.status_code == 200
        rows = response.context["object_list"]
        assert [(row.campaign, row.views, row.leads) for row in rows] == [("(none)", 170, 4)]

    def test_hostile_filter_values_are_a_form_error_not_a_500(self, known, editor_client):
        response = editor_client.get(
            REPORT, {"day_from": "not-a-date", "device": "toaster", "ordering": "pk;drop"}
        )
        assert response.status_code == 200


@pytest.mark.django_db
class TestPanelAndCommand:
    def test_case_study_edit_screen_panel(self, known, admin_client):
        first, second = known
        html = admin_client.get(f"/admin/pages/{second.pk}/edit/").content.decode()
        assert "Readers and call-back requests" in html
        assert "Last 30 days" in html
        # Its own 50 views and 1 request, against the site's 250 views and 5 requests.
        assert "<dt>Views</dt><dd>50</dd>" in html
        assert "<dt>Conversion</dt><dd>2.00%</dd>" in html
        assert "<dt>Site average conversion</dt><dd>2.00%</dd>" in html

    def test_conversion_report_command_csv(self, known):
        out = io.StringIO()
        call_command("conversion_report", "--days", "30", "--format", "csv", stdout=out)
        rows = rows_of(out.getvalue())
        assert rows[0] == ["path", "title", "views", "leads", "conversion"]
        first, second = known
        assert rows[1] == [first.url, "'" + HOSTILE_TITLE, "200", "4", "2.00"]
        assert rows[2] == [second.url, second.title, "50", "1", "2.00"]
