"""Conversion figures for editors: which pages and campaigns bring call-back requests,
counted without a cookie and without personal data (docs/data-protection.md).

Where things are: ``classify`` (which requests are a reader's view of a public page, and the
few coarse facts kept about one), ``counter`` (each process's tally, handed to Redis every few
seconds), ``middleware`` (the hook, first in MIDDLEWARE, so page-cache hits count too),
``store`` and ``fold`` (the task worker adds the counts to PageViewDay, exactly once),
``tasks`` (the fold as a self-booking job), ``edge_log`` (views the edge cache served without
the app, from its log), ``figures`` (views, requests, conversion, time to first call),
``chart`` (the SVG trend), ``report`` (the Reports menu's report), ``panels`` (the case
study's edit-screen panel); `manage.py conversion_report` prints the per-page rows.

Others use only the names below; settings name the middleware by dotted path and
leads/wagtail_hooks.py registers the report.
"""

from leads.conversion.counter import flush as flush_counts
from leads.conversion.edge_log import FORMAT
from leads.conversion.edge_log import count_lines as count_edge_lines
from leads.conversion.figures import Period, figures
from leads.conversion.fold import fold
from leads.conversion.panels import ConversionPanel
from leads.conversion.tasks import book_fold

__all__ = [
    "ConversionPanel",
    "Period",
    "book_fold",
    "count_edge_lines",
    "edge_log_format",
    "figures",
    "flush_counts",
    "fold",
]


def edge_log_format():
    """The varnishncsa -F format count_edge_lines reads."""
    return FORMAT
