"""Lead exports for the claims team's spreadsheets: streamed CSV and XLSX, safe to open.

Formula injection (OWASP "CSV injection"): any cell whose text begins with `=`, `+`, `-`, `@`,
a tab or a carriage return -- also after leading spaces -- gets a leading apostrophe in the
CSV, so Excel and LibreOffice show it as text instead of running it. In XLSX every cell is
written as a text cell, which spreadsheet programs never evaluate, so no apostrophe is added.

Phone numbers keep their meaning in two columns: "Phone (E.164)", exactly as stored (in CSV it
begins with the apostrophe, because E.164 begins with `+`; strip it when importing into another
system), and "Phone", written the way a person dials it (`01534 440123`; international
numbers keep their `+`, escaped the same way).
"""

import csv
import io
import tempfile

from django.utils import timezone

from leads.models import CallbackTime, LeadStatus, NotificationStatus
from leads.phones import dialled

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")

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
    writer = csv.writer(_Echo())
    yield "\ufeff".encode()
    yield writer.writerow(COLUMNS).encode()
    buffer = []
    for row in export_rows(queryset):
        buffer.append(writer.writerow([neutralise(cell) for cell in row]))
        if len(buffer) >= 500:
            yield "".join(buffer).encode()
            buffer = []
    if buffer:
        yield "".join(buffer).encode()


def xlsx_file(queryset):
    """The XLSX file in a temporary file: openpyxl's write-only mode keeps memory flat."""
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
