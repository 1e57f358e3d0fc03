"""PostgreSQL writes the desk's CSV itself (COPY): it must be the file Python writes, cell for
cell, for every kind of value a lead can hold."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.db import connection

from leads import export
from leads.models import CallBackForm, Lead
from tests.leads.factories import make_lead

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

AWKWARD = [
    '=HYPERLINK("http://evil.example","click")',
    "+SUM(1)",
    "-2+3",
    "@cmd",
    "\tTAB",
    "\rCR first",
    "   =after spaces",
    " plain after a space",
    "comma, inside",
    'a "quoted" word',
    "line\nbreak",
    "carriage\rreturn",
    "Zoë O’Brien – 東京 💥",
    "",
]


def parsed(chunks):
    body = b"".join(chunks)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


@pytest.fixture
def awkward_leads(django_user_model):
    owner = django_user_model.objects.create_user("=owner", password="x")
    form = CallBackForm.objects.create(name="@Police form, v2", notify_to="claims@firm.test")
    for number, text in enumerate(AWKWARD):
        make_lead(
            full_name=text or "Empty elsewhere",
            email=f"reader{number}@example.com",
            source_page_title=text,
            source_page_url=f"/case-studies/{number}/?q={text}",
            referrer=text,
            utm_source=text,
            utm_campaign=text[::-1],
            gclid=text,
            owner=owner if number % 2 else None,
            form=form if number % 3 else None,
            is_spam=number % 4 == 0,
            status=["new", "contacted", "qualified", "closed"][number % 4],
            callback_time=["morning", "afternoon", "evening", "anytime"][number % 4],
            # Summer and winter, with microseconds the file leaves out.
            created_at=datetime(2026, 1 + number % 12, 28, 23, 59, 59, 999_999, tzinfo=UTC),
        )
    make_lead(phone="+441534440123", full_name="Jersey")
    make_lead(phone="+12025550123", full_name="Washington")
    # A value outside the choices (an older release's, say) is written as stored.
    Lead.objects.filter(full_name="Jersey").update(callback_time="=odd", status="legacy")


def test_copy_writes_the_same_cells_as_python(awkward_leads):
    queryset = Lead.objects.all()
    from_postgres = parsed(export.postgres_csv_chunks(queryset))
    from_python = parsed(export.python_csv_chunks(queryset))
    assert len(from_postgres) == len(AWKWARD) + 3
    assert from_postgres == from_python
    jersey = next(row for row in from_postgres if row[2] == "Jersey")
    assert (jersey[3], jersey[4], jersey[6], jersey[7]) == (
        "01534 440123",
        "'+441534440123",
        "'=odd",
        "legacy",
    )
    for row in from_postgres:
        for cell in row:
            assert not cell.lstrip(" ").startswith(export.DANGEROUS_FIRST), cell


def test_the_order_and_filters_of_the_desk_are_kept(awkward_leads):
    queryset = Lead.objects.filter(is_spam=False).order_by("full_name", "pk")
    from_postgres = parsed(export.postgres_csv_chunks(queryset))
    assert from_postgres == parsed(export.python_csv_chunks(queryset))
    assert [row[0] for row in from_postgres[1:]] == [
        str(pk) for pk in queryset.values_list("pk", flat=True)
    ]


def test_a_reader_leaving_mid_file_leaves_the_connection_usable(settings):
    Lead.objects.bulk_create(
        Lead(
            full_name=f"Reader {number}",
            phone="+447700900123",
            phone_dialled="07700 900123",
            email=f"reader{number}@example.com",
            callback_time="morning",
            privacy_acknowledged_at=datetime(2026, 1, 1, tzinfo=UTC),
            source_page_title="x" * 200,
        )
        for number in range(3000)
    )
    chunks = export.postgres_csv_chunks(Lead.objects.all())
    for _ in range(3):  # the byte order mark, the header, the first chunk of rows
        next(chunks)
    chunks.close()  # what Django does when the download is abandoned
    assert Lead.objects.count() == 3000
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
