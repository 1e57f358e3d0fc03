"""The conversion figures: views, genuine call-back requests, qualified leads and the time to
the first call, per page or per campaign over a range of days, with the day-by-day trend and
the previous period. Read by the report, the case-study panel and `conversion_report`.

Figures only: nothing returned here names or describes a reader or a lead. A constant number
of queries whatever the range or the number of pages (views grouped in the database; the
range's genuine leads and their status changes read once, grouped here).
"""

import datetime
import statistics
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Sum
from wagtail.models import ModelLogEntry, Page

from leads.conversion.classify import CAMPAIGN_FIELDS, reader_device, referrer_host
from leads.models import Lead, LeadStatus, PageViewDay

BY_PAGE, BY_CAMPAIGN = "page", "campaign"
NO_CAMPAIGN = "(none)"


@dataclass(frozen=True)
class Period:
    """A range of whole days, both ends included (the site's time zone)."""

    start: datetime.date
    end: datetime.date

    @classmethod
    def last(cls, days, today):
        return cls(today - datetime.timedelta(days=days - 1), today)

    @property
    def days(self):
        return (self.end - self.start).days + 1

    def previous(self):
        end = self.start - datetime.timedelta(days=1)
        return Period(end - datetime.timedelta(days=self.days - 1), end)

    def each_day(self):
        return [self.start + datetime.timedelta(days=n) for n in range(self.days)]

    def bounds(self):
        zone = ZoneInfo(settings.TIME_ZONE)
        start = datetime.datetime.combine(self.start, datetime.time(), zone)
        end = datetime.datetime.combine(
            self.end + datetime.timedelta(days=1), datetime.time(), zone
        )
        return start, end


@dataclass(frozen=True)
class Filters:
    """What the figures are narrowed to; empty values do not narrow."""

    device: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    referrer_host: str = ""

    def view_lookups(self):
        return {name: value for name, value in vars(self).items() if value}


def percent(part, whole):
    return round(100 * part / whole, 2) if whole else None


@dataclass
class Row:
    """One line of the figures: a page, or a campaign."""

    page_id: int | None = None
    path: str = ""
    title: str = ""
    campaign: str = ""
    views: int = 0
    leads: int = 0
    qualified: int = 0
    first_call_minutes: list = field(default_factory=list, repr=False)

    @property
    def conversion(self):
        """Call-back requests per 100 views."""
        return percent(self.leads, self.views)

    @property
    def median_first_call_minutes(self):
        if not self.first_call_minutes:
            return None
        return round(statistics.median(self.first_call_minutes), 1)

    @property
    def conversion_text(self):
        return "–" if self.conversion is None else f"{self.conversion:.2f}%"

    @property
    def first_call_text(self):
        minutes = self.median_first_call_minutes
        if minutes is None:
            return "–"
        if minutes < 120:
            return f"{minutes:.0f} min"
        return f"{minutes / 60:.1f} h"


def campaign_label(source, medium, campaign):
    parts = [part for part in (source, medium, campaign) if part]
    return " / ".join(parts) if parts else NO_CAMPAIGN


@dataclass
class Figures:
    """Everything one period shows: the rows, the totals and the trend."""

    period: Period
    rows: list
    total: Row
    daily: list  # (day, views, leads)


def _leads(period, filters):
    """The period's genuine call-back requests, as (lead id, page id, campaign, created at,
    status), narrowed like the views are."""
    start, end = period.bounds()
    queryset = Lead.objects.filter(is_spam=False, created_at__gte=start, created_at__lt=end)
    for name in CAMPAIGN_FIELDS:
        if getattr(filters, name):
            queryset = queryset.filter(**{name: getattr(filters, name)})
    found = []
    for values in queryset.values_list(
        "pk",
        "source_page_id",
        *CAMPAIGN_FIELDS,
        "created_at",
        "status",
        "user_agent",
        "referrer",
    ):
        pk, page_id, source, medium, campaign, created_at, status, agent, referrer = values
        if filters.device and reader_device(agent) != filters.device:
            continue
        if filters.referrer_host and referrer_host(referrer, "") != filters.referrer_host:
            continue
        found.append(
            (pk, page_id, (source[:100], medium[:100], campaign[:100]), created_at, status)
        )
    return found


def _desk_history(period):
    """{lead id: (when it was first moved from new to contacted, whether it was ever
    qualified)} from the desk's audit log (leads/casework.py), for leads of the period."""
    start, _ = period.bounds()
    entries = ModelLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Lead),
        action="leads.status",
        timestamp__gte=start,
    ).values_list("object_id", "timestamp", "data")
    history = {}
    for object_id, timestamp, data in entries.order_by("timestamp"):
        data = data or {}
        first_call, qualified = history.get(object_id, (None, False))
        if (
            first_call is None
            and data.get("from") == LeadStatus.NEW
            and data.get("to") == LeadStatus.CONTACTED
        ):
            first_call = timestamp
        qualified = qualified or data.get("to") == LeadStatus.QUALIFIED
        history[object_id] = (first_call, qualified)
    return history


def figures(period, group=BY_PAGE, filters=Filters(), page_ids=None):
    """The period's figures per page (group BY_PAGE) or per campaign (BY_CAMPAIGN); with
    page_ids, only those pages."""
    views = PageViewDay.objects.filter(day__gte=period.start, day__lte=period.end)
    views = views.filter(**filters.view_lookups())
    if group == BY_PAGE:
        views = views.exclude(page=None)
    if page_ids is not None:
        views = views.filter(page_id__in=page_ids)
    rows = {}
    daily_views = dict.fromkeys(period.each_day(), 0)
    keys = ["page_id", "path"] if group == BY_PAGE else list(CAMPAIGN_FIELDS)
    for values in views.values(*keys, "day").annotate(total=Sum("views")).order_by():
        if group == BY_PAGE:
            row = _row(rows, group, values["page_id"])
            row.path = row.path or values["path"]
        else:
            row = _row(rows, group, tuple(values[k] for k in keys))
        row.views += values["total"]
        daily_views[values["day"]] += values["total"]

    daily_leads = dict.fromkeys(period.each_day(), 0)
    history = _desk_history(period)
    zone = ZoneInfo(settings.TIME_ZONE)
    for pk, page_id, campaign, created_at, status in _leads(period, filters):
        if page_ids is not None and page_id not in page_ids:
            continue
        if group == BY_PAGE and page_id is None:
            continue
        row = _row(rows, group, page_id if group == BY_PAGE else campaign)
        row.leads += 1
        first_call, qualified = history.get(str(pk), (None, False))
        if qualified or status == LeadStatus.QUALIFIED:
            row.qualified += 1
        if first_call is not None:
            row.first_call_minutes.append((first_call - created_at).total_seconds() / 60)
        day = created_at.astimezone(zone).date()
        if day in daily_leads:
            daily_leads[day] += 1

    if group == BY_PAGE:
        pages = Page.objects.in_bulk(list(rows))
        for page_id, row in rows.items():
            page = pages.get(page_id)
            row.title = page.title if page else "(deleted page)"
            if page and not row.path:
                row.path = page.get_url() or ""
    total = Row(title="All pages" if group == BY_PAGE else "All campaigns")
    for row in rows.values():
        total.views += row.views
        total.leads += row.leads
        total.qualified += row.qualified
        total.first_call_minutes += row.first_call_minutes
    daily = [(day, daily_views[day], daily_leads[day]) for day in period.each_day()]
    return Figures(period, list(rows.values()), total, daily)


def _row(rows, group, key):
    row = rows.get(key)
    if row is None:
        row = Row(page_id=key) if group == BY_PAGE else Row(campaign=campaign_label(*key))
        rows[key] = row
    return row


def page_summary(page, today, days=30):
    """One page's last `days` days against the site: (page's row, the whole site's row)."""
    period = Period.last(days, today)
    site = figures(period).total
    mine = figures(period, page_ids={page.pk})
    row = mine.rows[0] if mine.rows else Row(page_id=page.pk, title=page.title)
    return row, site
