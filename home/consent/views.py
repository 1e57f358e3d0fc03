"""The /cookies/ endpoints: the settings page, the status the banner asks for, and the choices.

None of these responses may be cached: each one depends on the visitor's own consent cookie.

CSRF: the accept/decline/save POSTs keep Django's CSRF protection. Pages are cached and so
carry no token; the banner script fetches one from the never-cached token endpoint when the
visitor clicks, and the /cookies/ page (never cached) renders it in its forms. Exempting these
views would let any other site force a visitor's "Accept all" with a cross-site form, which
would make the recorded consent worthless; a token plus Django's Origin check rules that out.
"""

from cookie_consent.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_cookie

from home.consent import groups, visitor

ACCEPT = "accept"
DECLINE = "decline"


def _is_fetch(request):
    return bool(request.headers.get("X-Cookie-Consent-Fetch"))


@require_GET
@never_cache
@vary_on_cookie
def status_view(request):
    """This visitor's choices, for the banner script; also expires cookies not consented to."""
    response = JsonResponse(visitor.status(request))
    visitor.delete_unconsented_cookies(request, response)
    return response


@require_GET
@never_cache
def token_view(request):
    """A CSRF token for the banner's POST, since cached pages cannot carry one."""
    return JsonResponse({"csrftoken": get_token(request)})


@require_GET
@never_cache
@vary_on_cookie
def settings_view(request):
    """The cookie settings page: every group, its cookies, and a form that needs no JavaScript."""
    return _render_settings(request, next_url=_safe_next(request, request.GET.get("next")))


def _render_settings(request, next_url="", error="", status=200):
    states = visitor.group_states(request)
    rows = [{"group": group, "state": states.get(group.varname)} for group in groups.all_groups()]
    return render(
        request,
        "cookie_consent/cookiegroup_list.html",
        {
            "groups": rows,
            "optional_groups": [row for row in rows if not row["group"].is_required],
            "saved": request.GET.get("saved") == "1" and not error,
            "error": error,
            "next_url": next_url,
        },
        status=status,
    )


@method_decorator(never_cache, name="dispatch")
class ChoiceView(View):
    """Base for the POSTs that record a choice; subclasses turn the form into choices."""

    http_method_names = ["post"]

    def choices(self, request):
        raise NotImplementedError

    def post(self, request):
        try:
            choices = self.choices(request)
        except ValueError as error:
            if _is_fetch(request):
                return JsonResponse({"error": str(error)}, status=400)
            # Without JavaScript: the settings page again, saying what to do.
            return _render_settings(
                request,
                next_url=_safe_next(request, request.POST.get("next")),
                error=str(error),
                status=400,
            )

        if _is_fetch(request):
            response = JsonResponse({})
        else:
            target = _safe_next(request, request.POST.get("next"))
            response = HttpResponseRedirect(target or reverse("cookie_consent_cookie_group_list"))
            if not target:
                response["Location"] += "?saved=1"
            response.status_code = 303
        visitor.record_choices(request, response, choices)
        if _is_fetch(request):
            # The reply carries the new state so the script needs no second request. The
            # cookie was set on this response, so read the state back from what was stored.
            response.content = JsonResponse(_status_after(request, response)).content
        return response


class AllGroupsView(ChoiceView):
    """Accept or decline the named groups, or every optional group with `all_groups`."""

    action = ACCEPT

    def choices(self, request):
        known = {group.varname for group in groups.optional_groups()}
        if request.POST.get("all_groups"):
            names = known
        else:
            names = set(request.POST.getlist("cookie_groups"))
            unknown = names - known
            if unknown:
                raise ValueError(f"Unknown cookie group: {', '.join(sorted(unknown))}")
            if not names:
                raise ValueError("Choose at least one cookie group.")
        return dict.fromkeys(names, self.action == ACCEPT)


class AcceptView(AllGroupsView):
    action = ACCEPT


class DeclineView(AllGroupsView):
    action = DECLINE


class SaveView(ChoiceView):
    """The settings page's form: one `group-<varname>` field per group, `accept` or `decline`."""

    def choices(self, request):
        choices = {}
        for group in groups.optional_groups():
            value = request.POST.get(f"group-{group.varname}")
            if value in (None, ""):
                continue
            if value not in (ACCEPT, DECLINE):
                raise ValueError(f"Choose accept or decline for {group.name}.")
            choices[group.varname] = value == ACCEPT
        if not choices:
            raise ValueError("Choose whether to accept or decline at least one kind of cookie.")
        return choices


def _status_after(request, response):
    """The status JSON as it will be on the next request, given the cookie just set."""
    morsel = response.cookies.get(settings.COOKIE_CONSENT_NAME)
    if morsel is None:
        return visitor.status(request)
    request.COOKIES = {**request.COOKIES, settings.COOKIE_CONSENT_NAME: morsel.value}
    return visitor.status(request)


def _safe_next(request, target):
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""
