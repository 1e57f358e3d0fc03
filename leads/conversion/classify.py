"""Which requests are a reader's view of a public page, and the few coarse facts kept about
one: the page's path, the campaign, the referring site's host and the class of device.

Nothing here keeps or returns the address, the full user agent, a cookie or anything else that
could single out a reader; the user agent is read only to leave out crawlers and to tell a
phone from a tablet from a desktop.
"""

import functools
import re
from typing import NamedTuple
from urllib.parse import urlsplit

from crawlerdetect import CrawlerDetect

from leads import conf
from leads.forms import strip_control_characters
from leads.models import DeviceClass

CAMPAIGN_FIELDS = ("utm_source", "utm_medium", "utm_campaign")
VALUE_MAX_LENGTH = 100
PATH_MAX_LENGTH = 255
_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}\.)*[a-z0-9-]{1,63}$")
_TABLET = re.compile(r"iPad|Tablet|PlayBook|Silk/|Kindle|Android(?!.*Mobile)", re.IGNORECASE)
_MOBILE = re.compile(r"Mobi|iPhone|iPod|Windows Phone|Opera Mini|BlackBerry", re.IGNORECASE)
_detector = CrawlerDetect()


class View(NamedTuple):
    """One counted view's dimensions, as kept in Redis and in PageViewDay."""

    host: str
    path: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    referrer_host: str
    device: str


@functools.lru_cache(maxsize=2048)
def reader_device(user_agent):
    """The device class of a reader's browser, or None for a crawler, a bot or no agent.

    Cached per agent string: a busy page sees the same few hundred browsers over and over, and
    the crawler list is one long regular expression."""
    if not user_agent or _detector.is_crawler(user_agent):
        return None
    if _TABLET.search(user_agent):
        return DeviceClass.TABLET.value
    if _MOBILE.search(user_agent):
        return DeviceClass.MOBILE.value
    return DeviceClass.DESKTOP.value


def is_prefetch(meta):
    """A browser fetching a page the reader may never look at (link prefetch, prerender).
    `meta` is the request's META: read directly, as this runs on every request, page-cache
    hits included, and `request.headers` would copy every header first."""
    purpose = meta.get("HTTP_SEC_PURPOSE") or meta.get("HTTP_PURPOSE") or meta.get("HTTP_X_PURPOSE")
    if purpose and ("prefetch" in purpose.lower() or "preview" in purpose.lower()):
        return True
    return meta.get("HTTP_X_MOZ", "").lower() == "prefetch"


def campaign_value(value):
    return strip_control_characters(value)[:VALUE_MAX_LENGTH] if value else ""


def referrer_host(referer, own_host):
    """The referring site's host name only ('' when there is none, it is this site, or it is
    not a plain host name)."""
    if not referer:
        return ""
    try:
        host = (urlsplit(referer).hostname or "").lower()
    except ValueError:
        return ""
    if not host or host == own_host or len(host) > VALUE_MAX_LENGTH or not _HOST.match(host):
        return ""
    return host


def candidate(request):
    """The view this request would be if its answer is a public page, or None when it can
    never count; read before the request is handled, while the query string is whole."""
    if request.method != "GET":
        return None
    path = request.path
    if len(path) > PATH_MAX_LENGTH or path.startswith(tuple(conf.LEADS_COUNT_SKIP_PATHS)):
        return None
    meta = request.META
    if is_prefetch(meta):
        return None
    device = reader_device(meta.get("HTTP_USER_AGENT", ""))
    if device is None:
        return None
    try:
        host = request.get_host().lower()
    except Exception:  # a disallowed Host: the response is a 400, never counted
        return None
    # Most views carry no campaign: the query string is parsed only when it names one.
    if "utm_" in meta.get("QUERY_STRING", ""):
        campaign = [campaign_value(request.GET.get(name)) for name in CAMPAIGN_FIELDS]
    else:
        campaign = ["", "", ""]
    return View(
        host.partition(":")[0] if not host.startswith("[") else host,
        path,
        *campaign,
        referrer_host(meta.get("HTTP_REFERER"), host.partition(":")[0]),
        device,
    )


def is_page(status, content_type, accept):
    """A whole HTML page (200), or a browser told that its copy of a page is still current
    (304 to a request that asked for HTML): the reader sees the page either way."""
    if status == 200:
        return content_type.startswith("text/html")
    return status == 304 and "text/html" in accept


def counts(request, response):
    """Whether the answer to a candidate request is a reader's view of a public page
    (is_page), not a preview, and not for a signed-in user."""
    if getattr(request, "is_preview", False):
        return False
    accept = request.META.get("HTTP_ACCEPT", "")
    if not is_page(response.status_code, response.get("Content-Type", ""), accept):
        return False
    # A page-cache hit never reached the authentication middleware: only anonymous readers
    # without a session are served from it. Otherwise ask.
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)
