"""`varnishncsa -F "$(manage.py count_edge_log --print-format)" | manage.py count_edge_log`:
counts the page views the edge cache served from its own copy (leads/conversion/edge_log.py).
Runs until its input ends, handing counts to Redis like a web process."""

import sys

from django.core.management.base import BaseCommand

from leads.conversion import count_edge_lines, edge_log_format, flush_counts


class Command(BaseCommand):
    help = "Count page views served by the edge cache, from varnishncsa lines on stdin."

    def add_arguments(self, parser):
        parser.add_argument(
            "--print-format", action="store_true", help="Print the varnishncsa -F format."
        )

    def handle(self, *args, print_format=False, **options):
        if print_format:
            self.stdout.write(edge_log_format())
            return
        counted = count_edge_lines(sys.stdin)
        flush_counts()
        self.stderr.write(f"Counted {counted} page views served by the edge cache.")
