"""Page views the edge cache (deploy/varnish/site.vcl) served without asking the app, read
from its log: `varnishncsa -F "$(manage.py count_edge_log --print-format)" | manage.py
count_edge_log`.

Why the log and not a beacon: a beacon (an image or a request from the page) would be fetched
for every view, also the ones the app served and counted itself, so it would need the page to
know who served it, which a shared copy cannot; it would not run for readers whose browser
blocks images or scripts; and it adds a request to every page. The log holds exactly the views
the app never saw: lines whose handling is `hit` (a miss or a pass reached the app, which
counted it), a page or a browser's copy of one confirmed (304). Each line goes through the
same rules as a request the app served (classify.py), and its view is added to this
process's tally (counter.py) like any other.
"""

from django.http import HttpRequest, QueryDict

from leads.conversion import classify, counter

# varnishncsa's format: one tab-separated line per request. The reader's own query string
# comes from site.vcl's `count-query` log record (the cache drops campaign parameters from
# the URL before looking it up).
FIELDS = [
    ("handling", "%{Varnish:handling}x"),
    ("method", "%m"),
    ("status", "%s"),
    ("host", "%{Host}i"),
    ("path", "%U"),
    ("query", "%{VCL_Log:count-query}x"),
    ("referer", "%{Referer}i"),
    ("user_agent", "%{User-Agent}i"),
    ("sec_purpose", "%{Sec-Purpose}i"),
    ("purpose", "%{Purpose}i"),
    ("content_type", "%{Content-Type}o"),
    ("accept", "%{Accept}i"),
]
FORMAT = "\t".join(code for _, code in FIELDS)


def _value(text):
    return "" if text == "-" else text


def view_of(line):
    """The view one log line records, or None when it does not count (not a hit, not a page
    (classify.is_page), a bot, a prefetch, a path never counted)."""
    parts = line.rstrip("\r\n").split("\t")
    if len(parts) != len(FIELDS):
        return None
    entry = {name: _value(part) for (name, _), part in zip(FIELDS, parts, strict=True)}
    if entry["handling"] != "hit" or not entry["status"].isdigit():
        return None
    if not classify.is_page(int(entry["status"]), entry["content_type"], entry["accept"]):
        return None
    request = HttpRequest()
    request.method = entry["method"]
    request.path = request.path_info = entry["path"]
    request.GET = QueryDict(entry["query"])
    request.META = {
        "HTTP_HOST": entry["host"],
        "HTTP_USER_AGENT": entry["user_agent"],
        "HTTP_REFERER": entry["referer"],
        "HTTP_SEC_PURPOSE": entry["sec_purpose"],
        "HTTP_PURPOSE": entry["purpose"],
        "QUERY_STRING": entry["query"],
    }
    return classify.candidate(request)


def count_lines(lines):
    """Counts the views among log lines; returns how many counted."""
    counted = 0
    for line in lines:
        view = view_of(line)
        if view is not None:
            counter.count(view)
            counted += 1
    return counted
