"""The firm's name and freephone number, kept where the 503 page can read them with no database.

What it is for: while PostgreSQL is unreachable, a reader who cannot have the page they asked
for should at least be able to ring the firm (home/outage.py). The default site's SiteSettings
are the source; this module keeps a copy in this process's memory and in a small JSON file
(OFFLINE_COPY_PATH), so a process that started during the outage, or that has only served
cached pages, still knows the number.

When the copy is refreshed: after SiteSettings is saved (once the transaction commits), and
whenever this process renders a page whose site settings differ from its memory (the first
page it renders, and the first after another process saved new settings). The file is
replaced atomically, so a reader of it sees the old copy or the new one, never half of one.
"""

import json
import logging
import os
import tempfile
import threading
from pathlib import Path

from django.conf import settings
from django.db import transaction
from wagtail.models import Site

from home.models import SiteSettings

logger = logging.getLogger(__name__)

FIELDS = ("firm_name", "freephone", "freephone_tel")

_lock = threading.Lock()
# This process's copy; None until it has compared the file with the database's settings.
_memory = None


def copy_of(site_settings):
    """What the 503 page needs from a SiteSettings: its name, the number as readers see it,
    and the number as a tel: URI (SiteSettings.freephone_tel, '' when it is not valid)."""
    return {
        "firm_name": site_settings.firm_name,
        "freephone": site_settings.freephone,
        "freephone_tel": site_settings.freephone_tel,
    }


def contact():
    """The copy for the 503 page: this process's memory, else the file, else {} (no number)."""
    if _memory is not None:
        return dict(_memory)
    return _read_file() or {}


def remember(copy):
    """Keep `copy` in memory, and in the file if the file does not already hold it."""
    global _memory
    with _lock:
        known = _memory if _memory is not None else _read_file()
        if known != copy:
            _write_file(copy)
        _memory = dict(copy)


def forget():
    """Drop this process's memory of the copy (tests; the file stays)."""
    global _memory
    with _lock:
        _memory = None


def remember_served_page(page, request, serve_args, serve_kwargs):
    """Wagtail's before_serve_page hook: refresh the copy from the settings the page is
    rendered with, when they are the default site's and differ from this process's memory.

    The site and its settings come with the request (the site snapshot), so this costs no
    query on a warm process; it returns None so the page is served as usual."""
    site = Site.find_for_request(request)
    if site is None or not site.is_default_site:
        return None
    site_settings = SiteSettings.for_request(request)
    known = _memory or {}
    if (site_settings.firm_name, site_settings.freephone) != (
        known.get("firm_name"),
        known.get("freephone"),
    ):
        remember(copy_of(site_settings))  # parses the number: only when it changed
    return None


def on_site_settings_saved(sender, instance, raw=False, **kwargs):
    """post_save of SiteSettings: the default site's new name and number, once committed."""
    if not raw and instance.site.is_default_site:
        copy = copy_of(instance)
        transaction.on_commit(lambda: remember(copy))


def _path():
    return Path(settings.OFFLINE_COPY_PATH)


def _read_file():
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {field: str(data.get(field) or "") for field in FIELDS}


def _write_file(copy):
    path = _path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed over it: rename is atomic on one filesystem.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".offline-contact-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(copy, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o644)  # public facts; the web server's other users may read
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        # The memory copy still serves this process; the page being rendered must not fail.
        logger.warning("Could not write the offline contact copy to %s", path, exc_info=True)
