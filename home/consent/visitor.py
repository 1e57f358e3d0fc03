"""A visitor's consent: what they chose (the consent cookie), what that means for each group
now, and the record of each decision.

Accepting counts only for the version accepted: after the group's cookie list changes the
visitor is asked again. Declining stays declined whatever the version. Each decision is stored
as a ConsentRecord: a random consent id (kept in the consent cookie), the groups accepted with
their versions, the groups declined, and the time.
"""

import uuid

from cookie_consent.conf import settings
from cookie_consent.util import get_cookie_dict_from_request, set_cookie_dict_to_response
from django.db import transaction

from home.consent.groups import optional_groups
from home.consent.models import ConsentRecord, ConsentVersion

# The consent cookie holds `varname=version` pairs; this key carries the anonymous consent id.
# Group varnames are slugs the editors choose, so the key starts with a character they avoid.
CONSENT_ID_KEY = "_id"

ACCEPTED = "accepted"
DECLINED = "declined"
UNDECIDED = "undecided"


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
