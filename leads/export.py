"""Lead exports for the claims team's spreadsheets: streamed CSV and XLSX, safe to open.

Formula injection (OWASP "CSV injection"): any cell whose text begins with `=`, `+`, `-`, `@`,
a tab or a carriage return -- also after leading spaces -- gets a leading apostrophe in the
CSV, so Excel and LibreOffice show it as text instead of running it. In XLSX every cell is
written as a text cell, which spreadsheet programs never evaluate, so no apostrophe is added.

Phone numbers keep their meaning in two columns: "Phone (E.164)", exactly as stored (in CSV it
begins with the apostrophe, because E.164 begins with `+`; strip it when importing into another
system), and "Phone", written the way a person dials it (`01534 440123`; international
numbers keep their `+`, escaped the same way).

On PostgreSQL the CSV is written by the database itself (`COPY ... TO STDOUT WITH CSV`, the
cells worked out in SQL exactly as `row_texts` and `neutralise` do here) and streamed to the
reader as it arrives: the Python loop took three times as long over 100,000 leads. Lines there
end in LF rather than CRLF, which spreadsheet programs read alike. Elsewhere (SQLite in
development) Python writes it.
"""

import csv
import io
import re
import tempfile

import psycopg
from django.conf import settings
from django.db import connections, transaction
from django.db.models import Case, F, Func, TextField, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from leads.models import CallbackTime, LeadStatus, NotificationStatus
from leads.phones import dialled

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
# What a cell needing a closer look can begin with: a dangerous character, or a space before
# one. Nearly every cell begins with something else, and is passed through after one test.
_CHECK_FIRST = frozenset(DANGEROUS_FIRST) | {" "}

COLUMNS = [
    "Lead id",
    "Received (Europe/London)",
    "Full name",
    "Phone",
    "Phone (E.164)",
    "Email",
    "Best time to call",
    "Status",
    "Owner",
    "Suspected spam",
    "Source page",
    "Source page URL",
    "Call-back form",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "gclid",
    "Referrer",
    "Notification",
]

FIELDS = [
    "pk",
    "created_at",
    "full_name",
    "phone",
    "phone_dialled",
    "email",
    "callback_time",
    "status",
    "owner__username",
    "is_spam",
    "source_page_title",
    "source_page_url",
    "form__name",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "gclid",
    "referrer",
    "notification_status",
]

_TIMES = dict(CallbackTime.choices)
_STATUSES = dict(LeadStatus.choices)
_NOTIFICATIONS = dict(NotificationStatus.choices)


def neutralise(text):
    """The CSV form of one cell: text a spreadsheet will not run as a formula."""
    if text and (text.startswith(DANGEROUS_FIRST) or text.lstrip(" ").startswith(DANGEROUS_FIRST)):
        return "'" + text
    return text


def format_time(value, zone=None):
    """Europe/London wall time with its offset, e.g. `2026-07-01 14:03:00 +01:00`."""
    text = value.astimezone(zone or timezone.get_default_timezone()).isoformat(" ", "seconds")
    # isoformat gives "2026-07-01 14:03:00+01:00"; the space before the offset reads better.
    return f"{text[:19]} {text[19:]}"


def row_texts(values):
    """One lead's cells as plain text, in COLUMNS order, before any escaping."""
    (
        pk,
        created_at,
        full_name,
        phone,
        phone_dialled,
        email,
        callback_time,
        status,
        owner,
        is_spam,
        page_title,
        page_url,
        form_name,
        *tracking,
        notification,
    ) = values
    return [
        str(pk),
        format_time(created_at),
        full_name,
        phone_dialled or dialled(phone),
        phone,
        email,
        _TIMES.get(callback_time, callback_time),
        _STATUSES.get(status, status),
        owner or "",
        "yes" if is_spam else "no",
        page_title,
        page_url,
        form_name or "",
        *tracking,
        _NOTIFICATIONS.get(notification, notification),
    ]


def export_rows(queryset, chunk_size=2000):
    """Plain-text rows of the given leads, fetched in chunks so memory stays flat."""
    rows = queryset.order_by(*queryset.query.order_by or ["-created_at", "-pk"]).values_list(
        *FIELDS
    )
    for values in rows.iterator(chunk_size=chunk_size):
        yield row_texts(values)


class _Echo:
    def write(self, value):
        return value


def csv_chunks(queryset):
    """The CSV file piece by piece: a UTF-8 byte order mark so Excel reads the accents, then
    the header, then one line per lead."""
    if connections[queryset.db].vendor == "postgresql":
        return postgres_csv_chunks(queryset)
    return python_csv_chunks(queryset)


def python_csv_chunks(queryset):
    """csv_chunks written row by row in Python: every database but PostgreSQL."""
    writer = csv.writer(_Echo())
    yield "\ufeff".encode()
    yield writer.writerow(COLUMNS).encode()
    buffer = []
    for row in export_rows(queryset):
        buffer.append(
            writer.writerow(
                [neutralise(cell) if cell and cell[0] in _CHECK_FIRST else cell for cell in row]
            )
        )
        if len(buffer) >= 500:
            yield "".join(buffer).encode()
            buffer = []
    if buffer:
        yield "".join(buffer).encode()


def xlsx_file(queryset):
    """The XLSX file in a temporary file: openpyxl's write-only mode keeps memory flat."""
    # Imported here, not at the top: openpyxl is large, and only XLSX exports need it.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Leads")

    def text_cell(value):
        cell = WriteOnlyCell(sheet, value=value)
        # Always a text cell: never a formula, a number or a date guessed from the text.
        cell.data_type = "s"
        return cell

    sheet.append([text_cell(name) for name in COLUMNS])
    for row in export_rows(queryset):
        sheet.append([text_cell(value) for value in row])
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the FileResponse that streams it
    workbook.save(handle)
    handle.seek(0)
    return handle


def csv_bytes(queryset):
    """The whole CSV at once, for small exports such as a subject access request."""
    out = io.BytesIO()
    for chunk in csv_chunks(queryset):
        out.write(chunk)
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# PostgreSQL: the same cells, computed by the database and written by COPY.

# Whole chunks of about this size go to the reader, not one small piece per lead.
COPY_CHUNK_BYTES = 64 * 1024


class _Neutralised(Func):
    """neutralise() of one text column, in SQL; empty text as NULL, which COPY writes as an
    empty cell just as Python's csv module writes an empty string."""

    template = (
        "(CASE WHEN %(expressions)s ~ '^ *[=+@\\t\\r-]' THEN '''' || %(expressions)s"
        " ELSE NULLIF(%(expressions)s, '') END)"
    )
    output_field = TextField()


class _LocalTime(Func):
    """format_time() in SQL: `2026-07-01 14:03:00 +01:00` in the site's time zone."""

    output_field = TextField()

    def __init__(self, expression, zone):
        # Written into the SQL, so only a zone name's characters are accepted.
        if not re.fullmatch(r"[A-Za-z0-9_/+-]+", zone):
            raise ValueError(f"unexpected time zone name: {zone!r}")
        local = f"(%(expressions)s AT TIME ZONE '{zone}')"
        minutes = f"(EXTRACT(EPOCH FROM {local} - (%(expressions)s AT TIME ZONE 'UTC'))::int / 60)"
        self.template = (
            f"to_char({local}, 'YYYY-MM-DD HH24:MI:SS ')"
            f" || CASE WHEN {minutes} < 0 THEN '-' ELSE '+' END"
            f" || lpad((abs({minutes}) / 60)::text, 2, '0')"
            f" || ':' || lpad(mod(abs({minutes}), 60)::text, 2, '0')"
        )
        super().__init__(expression)


def _labelled(field, labels):
    """A choice column as its label (neutralised), or as stored when it has none."""
    return Case(
        *[When(**{field: value}, then=Value(neutralise(label))) for value, label in labels.items()],
        default=_Neutralised(F(field)),
        output_field=TextField(),
    )


def _sql_cells():
    """Each column of COLUMNS as an SQL expression giving exactly the cell Python writes."""
    tracking = FIELDS[FIELDS.index("utm_source") : FIELDS.index("referrer") + 1]
    return [
        Cast("pk", TextField()),
        _LocalTime(F("created_at"), settings.TIME_ZONE),
        _Neutralised(F("full_name")),
        # phone_dialled is worked out at capture (and filled in for older rows by migration
        # 0005), so the database holds the dialled form of every number.
        _Neutralised(F("phone_dialled")),
        _Neutralised(F("phone")),
        _Neutralised(F("email")),
        _labelled("callback_time", _TIMES),
        _labelled("status", _STATUSES),
        _Neutralised(F("owner__username")),
        Case(When(is_spam=True, then=Value("yes")), default=Value("no")),
        _Neutralised(F("source_page_title")),
        _Neutralised(F("source_page_url")),
        _Neutralised(F("form__name")),
        *[_Neutralised(F(name)) for name in tracking],
        _labelled("notification_status", _NOTIFICATIONS),
    ]


def copy_statement(cursor, sql, params, options="FORMAT csv"):
    """`COPY (sql) TO STDOUT WITH (options)`, for a Django or psycopg cursor on PostgreSQL.

    COPY takes no parameters: the values are written into the statement as psycopg's
    client-side binding writes them (the connection itself binds them on the server)."""
    query = psycopg.ClientCursor(cursor.connection).mogrify(sql, params)
    return f"COPY ({query}) TO STDOUT WITH ({options})"


def postgres_csv_chunks(queryset):
    """csv_chunks written by PostgreSQL's COPY: the same cells, without a Python loop."""
    cells = {f"cell_{number}": cell for number, cell in enumerate(_sql_cells())}
    rows = queryset.order_by(*queryset.query.order_by or ["-created_at", "-pk"])
    rows = rows.annotate(**cells).values_list(*cells)
    sql, params = rows.query.sql_with_params()
    yield "\ufeff".encode()
    yield (",".join(COLUMNS) + "\n").encode()
    # If the reader goes away mid-file, leaving the COPY block cancels it (psycopg), which
    # fails the transaction around it: a savepoint of its own keeps any outer one usable.
    with transaction.atomic(using=queryset.db), connections[queryset.db].cursor() as cursor:
        buffer = bytearray()
        with cursor.cursor.copy(copy_statement(cursor, sql, params)) as copy:
            for data in copy:
                buffer += data
                if len(buffer) >= COPY_CHUNK_BYTES:
                    yield bytes(buffer)
                    buffer.clear()
        if buffer:
            yield bytes(buffer)
