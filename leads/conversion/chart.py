"""The trend chart as SVG drawn on the server: views per day as a line, call-back requests
per day as bars, each on its own scale. No script, no external file; the same numbers are in
the report's table and download."""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

WIDTH, HEIGHT = 720, 180
LEFT, RIGHT, TOP, BOTTOM = 48, 48, 12, 28
VIEWS_COLOUR = "#007d7e"
LEADS_COLOUR = "#cd4444"


def _scale(value, top):
    plot = HEIGHT - TOP - BOTTOM
    return HEIGHT - BOTTOM - (plot * value / top if top else 0)


def trend_svg(daily, label):
    """An <svg> of [(day, views, leads), ...], described for screen readers by `label`."""
    if not daily:
        return ""
    top_views = max(views for _, views, _ in daily) or 1
    top_leads = max(leads for _, _, leads in daily) or 1
    step = (WIDTH - LEFT - RIGHT) / max(len(daily), 1)
    bars = []
    points = []
    for n, (_, views, leads) in enumerate(daily):
        x = LEFT + step * n
        y = _scale(leads, top_leads)
        if leads:
            bars.append(
                (
                    f"{x + step * 0.2:.1f}",
                    f"{y:.1f}",
                    f"{step * 0.6:.1f}",
                    f"{HEIGHT - BOTTOM - y:.1f}",
                )
            )
        points.append(f"{x + step / 2:.1f},{_scale(views, top_views):.1f}")
    first, last = daily[0][0], daily[-1][0]
    return format_html(
        '<svg class="conversion-trend" role="img" aria-labelledby="trend-title" '
        'viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMidYMid meet" '
        'xmlns="http://www.w3.org/2000/svg">'
        '<title id="trend-title">{label}</title>'
        '<line x1="{l}" y1="{base}" x2="{right}" y2="{base}" stroke="#888"/>'
        "{bars}"
        '<polyline fill="none" stroke="{vc}" stroke-width="2" points="{points}"/>'
        '<text x="{l}" y="{h_text}" font-size="12" fill="#333">{first}</text>'
        '<text x="{right}" y="{h_text}" font-size="12" fill="#333" text-anchor="end">{last}</text>'
        '<text x="4" y="{top_text}" font-size="12" fill="{vc}">{top_views}</text>'
        '<text x="{w_text}" y="{top_text}" font-size="12" fill="{lc}" text-anchor="end">'
        "{top_leads}</text>"
        "</svg>",
        w=WIDTH,
        h=HEIGHT,
        l=LEFT,
        right=WIDTH - RIGHT,
        base=HEIGHT - BOTTOM,
        label=label,
        bars=format_html_join(
            "",
            '<rect x="{}" y="{}" width="{}" height="{}" fill="' + LEADS_COLOUR + '"/>',
            bars,
        )
        or mark_safe(""),  # noqa: S308 - a constant
        vc=VIEWS_COLOUR,
        lc=LEADS_COLOUR,
        points=" ".join(points),
        h_text=HEIGHT - 8,
        first=first.strftime("%d %b"),
        last=last.strftime("%d %b"),
        top_text=TOP + 4,
        top_views=f"{top_views:,} views",
        w_text=WIDTH - 4,
        top_leads=f"{top_leads:,} requests",
    )
