"""The cookie groups as the site shows and versions them, kept in Django's default cache
(Redis when REDIS_URL is set) so that every process sees a change on its next request.

A group's version is a fingerprint of its whole cookie list (name, domain, path, purpose,
duration): any change gives a new version. Saving or deleting a group, cookie or detail
anywhere clears the cache (connect_signals, called from HomeConfig.ready).
"""

import hashlib
import json
import logging
from dataclasses import dataclass, field

from cookie_consent.cache import delete_cache as delete_library_cache
from cookie_consent.conf import settings
from cookie_consent.models import Cookie, CookieGroup
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_migrate, post_save

from home.consent.models import CookieDetail
from home.page_cache import cache_recovered

logger = logging.getLogger(__name__)

# Bump the suffix when GroupInfo changes shape, so no process unpickles an old cached copy.
CACHE_KEY = "home:consent:groups:v1"
CACHE_TIMEOUT = 60 * 60


@dataclass(frozen=True)
class CookieInfo:
    name: str
    domain: str
    path: str
    purpose: str
    duration: str

    def as_dict(self):
        return {
            "name": self.name,
            "domain": self.domain,
            "path": self.path,
            "purpose": self.purpose,
            "duration": self.duration,
        }


@dataclass(frozen=True)
class GroupInfo:
    """A cookie group as the site shows and versions it: plain data, safe to cache and pickle."""

    varname: str
    name: str
    description: str
    is_required: bool
    is_deletable: bool
    cookies: tuple[CookieInfo, ...] = field(default_factory=tuple)

    @property
    def version(self):
        return fingerprint(self.cookies)


def fingerprint(cookies):
    """A short, stable fingerprint of a cookie list; any change to any cookie changes it."""
    rows = sorted((cookie.as_dict() for cookie in cookies), key=lambda c: (c["name"], c["domain"]))
    payload = json.dumps(rows, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _cache():
    return caches[settings.COOKIE_CONSENT_CACHE_BACKEND]


def _groups_from_db():
    groups = CookieGroup.objects.order_by("ordering", "pk").prefetch_related("cookie_set__detail")
    result = []
    for group in groups:
        cookies = []
        for cookie in sorted(group.cookie_set.all(), key=lambda c: (c.name, c.domain)):
            detail = getattr(cookie, "detail", None)
            cookies.append(
                CookieInfo(
                    name=cookie.name,
                    domain=cookie.domain,
                    path=cookie.path or "/",
                    purpose=cookie.description,
                    duration=detail.duration if detail else "",
                )
            )
        result.append(
            GroupInfo(
                varname=group.varname,
                name=group.name,
                description=group.description,
                is_required=group.is_required,
                is_deletable=group.is_deletable,
                cookies=tuple(cookies),
            )
        )
    return result


def all_groups():
    """Every cookie group, required ones included, in the editors' order (from the cache)."""
    return _cache().get_or_set(CACHE_KEY, _groups_from_db, timeout=CACHE_TIMEOUT)


def optional_groups():
    return [group for group in all_groups() if not group.is_required]


def clear_cache():
    """Forget the cached groups here and in the library, in every process sharing the cache."""
    _cache().delete(CACHE_KEY)
    delete_library_cache()


def on_consent_model_change(sender, **kwargs):
    """Signal receiver: a group, cookie or detail changed somewhere, so drop the cached groups.

    Cleared now and again after the commit: another process may re-cache the old list from the
    database between the save and the commit.
    """
    clear_cache()
    transaction.on_commit(clear_cache)


def on_migrate(sender, **kwargs):
    """After migrations (which write through historical models and send no model signals).

    A cache that cannot be reached must not fail a deployment's `migrate`; entries expire
    within CACHE_TIMEOUT anyway.
    """
    try:
        clear_cache()
    except Exception as error:  # noqa: BLE001 - any cache backend error; logged, not raised
        logger.warning("Could not clear the cached cookie groups after migrate: %s", error)


def connect_signals(app_config):
    """Clear the cached groups whenever the cookie lists change, from the admin or from code,
    and after `app_config`'s migrations (data migrations send no model signals)."""
    for model in (CookieGroup, Cookie, CookieDetail):
        post_save.connect(
            on_consent_model_change, sender=model, dispatch_uid=f"consent-save-{model}"
        )
        post_delete.connect(
            on_consent_model_change, sender=model, dispatch_uid=f"consent-del-{model}"
        )
    post_migrate.connect(on_migrate, sender=app_config, dispatch_uid="consent-migrate")
    # A change made while Redis was unreachable could not clear the shared copy.
    cache_recovered.connect(on_cache_recovered, dispatch_uid="consent-cache-recovered")


def on_cache_recovered(sender, **kwargs):
    clear_cache()
