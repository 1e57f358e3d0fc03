"""The leads summary on the Wagtail dashboard, shown to those who may see leads."""

from datetime import timedelta

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.ui.components import Component

from leads.late_notices import late_q
from leads.models import Lead, LeadStatus
from leads.queue import response_times


class LeadsPanel(Component):
    """Late notices first (a stopped task worker), then new leads today and this week, the
    call queue's overdue count and response times, leads by status, top source pages, a
    14-day chart."""

    name = "leads_summary"
    template_name = "leads/admin/dashboard_panel.html"
    order = 90

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        now = timezone.localtime()
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        week = today - timedelta(days=today.weekday())
        genuine = Lead.objects.filter(is_spam=False)
        counts = genuine.aggregate(
            today=Count("pk", filter=Q(created_at__gte=today)),
            week=Count("pk", filter=Q(created_at__gte=week)),
        )
        by_status = dict(genuine.values_list("status").annotate(n=Count("pk")))
        start = today - timedelta(days=13)
        per_day = dict.fromkeys(range(14), 0)
        for created in genuine.filter(created_at__gte=start).values_list("created_at", flat=True):
            per_day[(timezone.localtime(created).date() - start.date()).days] += 1
        peak = max(per_day.values()) or 1
        bars = [
            {
                "x": index * 20,
                "height": round(60 * count / peak),
                "y": 60 - round(60 * count / peak),
                "count": count,
                "day": (start + timedelta(days=index)).strftime("%a %d %b"),
            }
            for index, count in per_day.items()
        ]
        index_url = reverse("leads_lead_modeladmin_index")
        figures = response_times(now)
        context.update(
            overdue=figures["overdue"],
            queue_url=reverse("leads_queue"),
            responses=[
                (label, figures["this_week"][kind], figures["last_week"][kind])
                for kind, label in (
                    ("call", "Slot to first call"),
                    ("conversation", "Slot to first conversation"),
                )
            ],
            late=Lead.objects.filter(late_q()).count(),
            late_url=f"{index_url}?notice=late",
            today=counts["today"],
            week=counts["week"],
            statuses=[(label, by_status.get(value, 0)) for value, label in LeadStatus.choices],
            spam=Lead.objects.filter(is_spam=True).count(),
            top_pages=genuine.exclude(source_page_title="")
            .values("source_page_title")
            .annotate(n=Count("pk"))
            .order_by("-n")[:5],
            bars=bars,
            index_url=index_url,
        )
        return context
