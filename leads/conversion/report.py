"""The conversion report in the admin's Reports menu: per page or per campaign over a range
of days, with Wagtail's filters, sorting and CSV/XLSX download, the trend chart and the
previous period beside it. Figures only (figures.py): no lead's details appear here."""

import datetime

import django_filters
from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, NumberColumn, TitleColumn
from wagtail.admin.views.reports import ReportView
from wagtail.models import Page
from wagtail.permissions import policy_registry

from leads.conversion.chart import trend_svg
from leads.conversion.figures import BY_CAMPAIGN, BY_PAGE, Filters, Period, figures, percent
from leads.export import neutralise
from leads.models import DeviceClass, PageViewDay

DEFAULT_DAYS = 30


def can_view_figures(user):
    """Whoever writes pages (Editors: any page permission, as for Wagtail's own page reports)
    or works leads (Lead managers). The figures name no reader and no lead, so seeing them
    needs no permission on leads, and Editors are given none."""
    if not user.is_active:
        return False
    if user.has_perm("leads.view_lead"):
        return True
    return policy_registry.get_by_type(Page).user_has_any_permission(
        user, ["add", "change", "publish"]
    )


class ConversionFilterSet(WagtailFilterSet):
    """What the report is narrowed to. The filters only describe the selection; figures.py
    applies it to views and leads alike."""

    day = django_filters.DateFromToRangeFilter(
        label="Dates", widget=DateRangePickerWidget, method="describe"
    )
    group = django_filters.ChoiceFilter(
        label="Figures per",
        choices=[(BY_PAGE, "Page"), (BY_CAMPAIGN, "Campaign")],
        empty_label="Page",
        method="describe",
    )
    device = django_filters.ChoiceFilter(
        label="Device", choices=DeviceClass.choices, method="describe"
    )
    utm_source = django_filters.CharFilter(label="utm_source", method="describe")
    utm_medium = django_filters.CharFilter(label="utm_medium", method="describe")
    utm_campaign = django_filters.CharFilter(label="utm_campaign", method="describe")
    referrer_host = django_filters.CharFilter(label="Referring site", method="describe")

    class Meta:
        model = PageViewDay
        fields = []

    def describe(self, queryset, name, value):
        return queryset


def _as_date(value):
    # django-filter's date range gives the first and last moment of the days picked.
    return value.date() if isinstance(value, datetime.datetime) else value


def _sort_value(value):
    if value is None:
        return (0, 0)
    return (1, value.lower() if isinstance(value, str) else value)


class ConversionReportView(ReportView):
    """Which pages and campaigns bring call-back requests, and how fast they were called."""

    page_title = "Conversion"
    header_icon = "pick"
    results_template_name = "leads/conversion/report_results.html"
    filterset_class = ConversionFilterSet
    index_url_name = "leads_conversion_report"
    index_results_url_name = "leads_conversion_report_results"
    # Checked in dispatch (can_view_figures), not by a model's permission policy.
    permission_policy = None
    default_ordering = "-views"
    export_filename = "conversion"
    list_export = [
        "title",
        "path",
        "campaign",
        "views",
        "leads",
        "conversion",
        "qualified",
        "median_first_call_minutes",
    ]
    export_headings = {
        "title": "Page",
        "path": "Path",
        "campaign": "Campaign",
        "views": "Views",
        "leads": "Call-back requests",
        "conversion": "Conversion (%)",
        "qualified": "Qualified",
        "median_first_call_minutes": "Median minutes to first call",
    }
    # Titles, paths and campaign names are typed by people (or arrive in links): never run
    # by a spreadsheet (leads/export.py).
    custom_field_preprocess = {
        name: {"csv": lambda value: neutralise(str(value or ""))}
        for name in ("title", "path", "campaign")
    }

    def dispatch(self, request, *args, **kwargs):
        if not can_view_figures(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def selection(self):
        """(this period, the grouping, the Filters) the request asks for."""
        data = {}
        if self.filters is not None and self.filters.is_valid():
            data = self.filters.form.cleaned_data
        today = timezone.localdate()
        dates = data.get("day")
        start = _as_date(getattr(dates, "start", None))
        stop = _as_date(getattr(dates, "stop", None))
        end = min(stop, today) if stop else today
        if start is None or start > end:
            start = Period.last(DEFAULT_DAYS, end).start
        period = Period(start, end)
        group = data.get("group") or BY_PAGE
        filters = Filters(
            **{
                name: data.get(name) or ""
                for name in (
                    "device",
                    "utm_source",
                    "utm_medium",
                    "utm_campaign",
                    "referrer_host",
                )
            }
        )
        return period, group, filters

    @cached_property
    def current(self):
        period, group, filters = self.selection
        return figures(period, group, filters)

    @cached_property
    def previous(self):
        period, group, filters = self.selection
        return figures(period.previous(), group, filters)

    @cached_property
    def columns(self):
        _, group, _ = self.selection
        if group == BY_PAGE:
            first = TitleColumn(
                "title",
                label="Page",
                sort_key="title",
                get_url=lambda row: reverse("wagtailadmin_pages:edit", args=[row.page_id]),
            )
        else:
            first = Column("campaign", label="Campaign", sort_key="campaign")
        return [
            first,
            NumberColumn("views", label="Views", sort_key="views"),
            NumberColumn("leads", label="Call-back requests", sort_key="leads"),
            Column("conversion_text", label="Conversion", sort_key="conversion"),
            NumberColumn("qualified", label="Qualified", sort_key="qualified"),
            Column(
                "first_call_text",
                label="Median time to first call",
                sort_key="median_first_call_minutes",
            ),
        ]

    def get_queryset(self):
        return PageViewDay.objects.none()

    def get_filtered_queryset(self):
        ordering = self.ordering or self.default_ordering
        name = ordering.lstrip("-")
        return sorted(
            self.current.rows,
            key=lambda row: _sort_value(getattr(row, name)),
            reverse=ordering.startswith("-"),
        )

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        now, before = self.current, self.previous
        context["period"] = now.period
        context["previous_period"] = before.period
        context["comparison"] = [
            _compare("Views", now.total.views, before.total.views),
            _compare("Call-back requests", now.total.leads, before.total.leads),
            _compare("Conversion (%)", now.total.conversion, before.total.conversion),
            _compare("Qualified", now.total.qualified, before.total.qualified),
        ]
        context["trend"] = trend_svg(
            now.daily,
            f"Views (line) and call-back requests (bars) per day, "
            f"{now.period.start:%d %b %Y} to {now.period.end:%d %b %Y}",
        )
        return context

    def stream_csv(self, queryset):
        # A byte order mark first, as in the leads export, so Excel reads accents right.
        yield "\ufeff"
        yield from super().stream_csv(queryset)


def _compare(label, now, before):
    change = None
    if now is not None and before:
        change = percent(now - before, before)
    return {"label": label, "now": now, "before": before, "change": change}


class ConversionMenuItem(MenuItem):
    def is_shown(self, request):
        return can_view_figures(request.user)


def menu_item():
    return ConversionMenuItem(
        "Conversion",
        reverse("leads_conversion_report"),
        name="conversion",
        icon_name="pick",
        order=1300,
    )


def admin_urls():
    return [
        path("reports/conversion/", ConversionReportView.as_view(), name="leads_conversion_report"),
        path(
            "reports/conversion/results/",
            ConversionReportView.as_view(results_only=True),
            name="leads_conversion_report_results",
        ),
    ]
