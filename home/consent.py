"""Cookie consent on top of django-cookie-consent: versions, the consent cookie, the record.

Why this module exists beside the library:

- **Versions.** The library dates a group by its newest cookie, so editing or removing a cookie
  never asks visitors again. Here a group's version is a fingerprint of its whole cookie list
  (name, domain, path, purpose, duration): any change gives a new version, and a visitor who
  accepted an older one is asked again. Declining stays declined whatever the version.
- **Cached pages.** Pages carry no per-visitor state. The browser asks the never-cached status
  endpoint what this visitor chose, and the banner and scripts follow the answer.
- **One shared cache.** The groups and their versions live in Django's default cache (Redis
  when REDIS_URL is set); saving or deleting a group, cookie or detail anywhere clears it, so
  every process sees the change on its next request.
- **The record.** Each decision is stored as a ConsentRecord: a random consent id (kept in the
  consent cookie), the groups accepted with their versions, the groups declined, and the time.
"""

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass, field

from cookie_consent.cache import delete_cache as delete_library_cache
from cookie_consent.conf import settings
from cookie_consent.models import CookieGroup
from cookie_consent.util import get_cookie_dict_from_request, set_cookie_dict_to_response
from django.core.cache import caches
from django.db import transaction

logger = logging.getLogger(__name__)

# Bump the suffix when GroupInfo changes shape, so no process unpickles an old cached copy.
CACHE_KEY = "home:consent:groups:v1"
CACHE_TIMEOUT = 60 * 60
# The consent cookie holds `varname=version` pairs; this key carries the anonymous consent id.
# Group varnames are slugs the editors choose, so the key starts with a character they avoid.
CONSENT_ID_KEY = "_id"

ACCEPTED = "accepted"
DECLINED = "declined"
UNDECIDED = "undecided"


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


def read_choices(request):
    """The visitor's stored choices: `{varname: version or DECLINE}` plus the consent id."""
    return get_cookie_dict_from_request(request)


def group_states(request):
    """Each optional group's state for this visitor: accepted, declined or undecided.

    Accepted counts only for the group's current version; an older version is undecided,
    which brings the banner back.
    """
    choices = read_choices(request)
    states = {}
    for group in optional_groups():
        stored = choices.get(group.varname)
        if stored == settings.COOKIE_CONSENT_DECLINE:
            states[group.varname] = DECLINED
        elif stored and stored == group.version:
            states[group.varname] = ACCEPTED
        else:
            states[group.varname] = UNDECIDED
    return states


def status(request):
    """What the browser needs to apply this visitor's choices: the JSON of the status endpoint."""
    states = group_states(request)
    groups = {
        group.varname: {
            "name": group.name,
            "state": states[group.varname],
            "cookies": [cookie.name for cookie in group.cookies if cookie.name != "*"],
        }
        for group in optional_groups()
    }
    return {
        "groups": groups,
        "undecided": [name for name, state in states.items() if state == UNDECIDED],
    }


def delete_unconsented_cookies(request, response, states=None):
    """Expire cookies the browser sent for groups it has not accepted.

    Covers HttpOnly cookies the page's script cannot reach. Only runs on never-cached responses
    (the status endpoint and the choice views), so no cached page ever carries a Set-Cookie.
    """
    states = states if states is not None else group_states(request)
    for group in optional_groups():
        if not group.is_deletable or states.get(group.varname) == ACCEPTED:
            continue
        for cookie in group.cookies:
            if cookie.name in request.COOKIES:
                response.delete_cookie(cookie.name, cookie.path, cookie.domain or None)


def record_choices(request, response, choices):
    """Apply `{varname: True (accept) | False (decline)}` for this visitor and log it.

    Sets the consent cookie on `response`, deletes cookies of declined groups, and writes one
    ConsentRecord. Unknown or required groups are ignored. Returns the visitor's new states.
    """
    from home.models import ConsentRecord, ConsentVersion

    groups = {group.varname: group for group in optional_groups()}
    stored = read_choices(request)
    consent_id = _valid_consent_id(stored.get(CONSENT_ID_KEY)) or uuid.uuid4()
    stored[CONSENT_ID_KEY] = consent_id.hex

    accepted, declined = {}, []
    for varname, accept in choices.items():
        group = groups.get(varname)
        if group is None:
            continue
        if accept:
            stored[varname] = group.version
            accepted[varname] = group.version
        else:
            stored[varname] = settings.COOKIE_CONSENT_DECLINE
            declined.append(varname)
    if not accepted and not declined:
        return group_states(request)

    with transaction.atomic():
        for varname, version in accepted.items():
            ConsentVersion.objects.get_or_create(
                varname=varname,
                version=version,
                defaults={"cookies": [cookie.as_dict() for cookie in groups[varname].cookies]},
            )
        ConsentRecord.objects.create(
            consent_id=consent_id, accepted=accepted, declined=sorted(declined)
        )

    set_cookie_dict_to_response(response, stored)
    states = {
        varname: (
            ACCEPTED
            if stored.get(varname) == group.version
            else DECLINED
            if stored.get(varname) == settings.COOKIE_CONSENT_DECLINE
            else UNDECIDED
        )
        for varname, group in groups.items()
    }
    delete_unconsented_cookies(request, response, states)
    return states


def _valid_consent_id(value):
    if not value:
        return None
    try:
        return uuid.UUID(hex=value)
    except ValueError:
        return None


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
