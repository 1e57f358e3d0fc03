"""`manage.py fold_page_views`: folds the counted page views into the database now (the task
worker does it every LEADS_COUNT_FOLD_SECONDS; leads/conversion/fold.py)."""

from django.core.management.base import BaseCommand

from leads.conversion import fold


class Command(BaseCommand):
    help = "Move the page views counted in Redis into the daily aggregates, exactly once."

    def handle(self, *args, **options):
        self.stdout.write(f"Folded {fold()} page views.")
