"""`manage.py conversion_report --days 30 --format csv`: the conversion report's per-page rows
(path, title, views, call-back requests, conversion) for a cron job to mail or a spreadsheet
to read. Figures only; the CSV is formula-safe like the leads export (leads/export.py)."""

import csv

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from leads.conversion import Period, figures
from leads.export import neutralise

COLUMNS = ["path", "title", "views", "leads", "conversion"]


class Command(BaseCommand):
    help = "Per-page views, call-back requests and conversion over the last N days."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30, help="Days up to today (default 30).")
        parser.add_argument("--format", choices=["csv", "table"], default="table")

    def handle(self, *args, days=30, format="table", **options):
        if days < 1 or days > 3660:
            raise CommandError("--days must be between 1 and 3660.")
        result = figures(Period.last(days, timezone.localdate()))
        rows = sorted(result.rows, key=lambda row: (-row.views, -row.leads, row.path))
        values = [
            [
                row.path,
                row.title,
                row.views,
                row.leads,
                "" if row.conversion is None else f"{row.conversion:.2f}",
            ]
            for row in rows
        ]
        if format == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(COLUMNS)
            for line in values:
                writer.writerow([neutralise(v) if isinstance(v, str) else v for v in line])
            return
        period = result.period
        self.stdout.write(
            f"{period.start} to {period.end}: {result.total.views} views, "
            f"{result.total.leads} call-back requests, "
            f"conversion {result.total.conversion_text}"
        )
        for path, title, views, leads, conversion in values:
            self.stdout.write(f"{views:>8} {leads:>6} {conversion or '–':>7}  {path}  {title}")
