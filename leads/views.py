"""The call-back form's endpoint: one POST view that works with and without JavaScript.

Steps: method and size -> same-origin -> flood limits -> signed token -> validation ->
capture (spam signals, the review limit, duplicates, one transaction) -> 303 back to the page,
or JSON. A lead held for review is answered exactly like any other.
When the database cannot be reached the request is kept in the spool (leads/spool.py) and the
reader is told it was received, on a page that needs no database.

Error responses (documented in docs/data-protection.md and the README of this app):
405 wrong method, 413 body too large, 403 sent from another site, 429 over a flood limit
(with Retry-After), 400 missing/forged token, 400 with the form re-rendered (input kept) on
validation errors or an expired page. Script callers (``Accept: application/json``) get the
same status codes as JSON.
"""

import logging
import math
import time

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from wagtail.models import Page

from leads import conf, limits, spool
from leads.capture import receive
from leads.forms import LeadForm
from leads.models import CallBackForm
from leads.security import (
    TokenExpired,
    TokenInvalid,
    cross_site_reason,
    ip_hmac,
    make_token,
    read_token,
)

logger = logging.getLogger(__name__)

FORM_STATE_ATTR = "leads_form_state"


def wants_json(request):
    return "application/json" in request.META.get("HTTP_ACCEPT", "")


def problem(request, status, heading, message, *, headers=None):
    """A clear refusal: a short page for people, a small JSON body for the script."""
    if wants_json(request):
        response = JsonResponse({"ok": False, "message": message}, status=status)
    else:
        response = TemplateResponse(
            request,
            "leads/problem.html",
            {"heading": heading, "message": message},
            status=status,
        )
    for name, value in (headers or {}).items():
        response[name] = value
    add_never_cache_headers(response)
    return response


@csrf_exempt  # no CSRF cookie on cached pages; see leads.security for what protects this view
@never_cache
def submit(request):
    if request.method != "POST":
        return problem(
            request,
            405,
            "This address only accepts the call-back form",
            "Please use the call-back form on one of our pages.",
            headers={"Allow": "POST"},
        )
    max_bytes = conf.LEADS_MAX_BODY_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > max_bytes:
        return _too_large(request)

    reason = cross_site_reason(request)
    if reason:
        logger.warning("Call-back form refused: cross-site request")
        return problem(request, 403, "We could not accept this form", reason)

    client_key = ip_hmac(request)
    flood = limits.check_flood(client_key)
    if flood.retry_after:
        return _too_many(request, flood.retry_after)

    try:
        data = request.POST
    except RequestDataTooBig:
        return _too_large(request)

    try:
        token = read_token(data.get("token", ""))
        expired = False
    except TokenExpired as exc:
        token, expired = exc.token, True
    except TokenInvalid:
        logger.warning("Call-back form refused: missing or invalid token")
        return problem(
            request,
            400,
            "We could not accept this form",
            "The form was incomplete or had been changed. Please go back, reload the page "
            "and send the form again.",
        )

    form = LeadForm(data)
    if expired:
        # The page was open for days: keep what the reader typed and ask them to send again.
        form.is_valid()
        form.add_error(
            None, "This page was open for a long time. Please check your details and send again."
        )
        return _form_errors(
            request, form, page_id=token.page_id, form_id=token.form_id, refresh_token=True
        )

    if not form.is_valid():
        return _form_errors(
            request,
            form,
            page_id=token.page_id,
            form_id=token.form_id,
            rendered_at=token.rendered_at,
        )

    try:
        result = spool.store_or_keep(
            receive(form, token, request, ip_digest=client_key), refuse_flood=not flood.counted
        )
    except limits.Flooded as exc:
        return _too_many(request, exc.retry_after)
    if result is None:
        return _received(request)
    # The database answers: a good moment for this process to store anything left waiting.
    spool.wake()
    message = _success_message(token, result)
    if wants_json(request):
        return JsonResponse({"ok": True, "message": message})
    return HttpResponseRedirect(_success_url(request, token, result), status=303)


def _success_message(token, result):
    """The form's own words; the default ones if the database went away after the store."""
    try:
        snippet = (result.lead.form if result.lead.form_id else None) or (
            CallBackForm.objects.filter(pk=token.form_id).first() if token.form_id else None
        )
    except spool.DATABASE_UNREACHABLE:
        snippet = None
    return (snippet or CallBackForm()).success_message


def _success_url(request, token, result):
    try:
        page = None
        if token.page_id and result.created and result.lead.source_page_id == token.page_id:
            # The page capture has just loaded for the lead: no need to ask again.
            page = result.lead.source_page if result.lead.source_page.live else None
        elif token.page_id:
            page = Page.objects.live().filter(pk=token.page_id).first()
        url = page.get_url(request) if page is not None else None
    except spool.DATABASE_UNREACHABLE:
        # The lead is stored; the page's address as signed into the form will do.
        url = token.page_url
    if not url:
        url = reverse("leads:sent")
    return f"{url}?callback=sent#callback"


def _received(request):
    """The request waits in the spool: say it was received, on a page that needs no database
    (base.html reads the site settings from it)."""
    message = CallBackForm().success_message
    if wants_json(request):
        response = JsonResponse({"ok": True, "message": message})
    else:
        response = HttpResponse(render_to_string("leads/received.html", {"message": message}))
    add_never_cache_headers(response)
    return response


def _too_large(request):
    return problem(
        request,
        413,
        "The form was too large",
        "What was sent is far larger than a call-back request. Please send the form again.",
    )


def _too_many(request, retry_after):
    """Over a flood limit (leads/limits.py): nothing was stored; say when to try again."""
    minutes = math.ceil(retry_after / 60)
    wait = "a minute" if minutes <= 1 else f"{minutes} minutes"
    return problem(
        request,
        429,
        "Too many requests",
        f"We are receiving a great many requests at the moment and could not take yours. "
        f"Please wait {wait} and send it again, or call us instead.",
        headers={"Retry-After": str(retry_after)},
    )


def _form_errors(request, form, *, page_id, form_id, rendered_at=None, refresh_token=False):
    """The reader's answers back with what to fix: JSON for the script, else the page itself."""
    if wants_json(request):
        errors = {
            field: [str(message) for message in messages]
            for field, messages in form.errors.items()
            if field in form.visible_fields_order or field == "__all__"
        }
        body = {"ok": False, "errors": errors}
        if refresh_token:
            # Expired: hand the script a fresh token so the next attempt can go through.
            page = Page.objects.filter(pk=page_id).first() if page_id else None
            snippet = CallBackForm.objects.filter(pk=form_id).first() if form_id else None
            body["token"] = make_token(page, snippet, rendered_at=time.time() - 3600)
        response = JsonResponse(body, status=400)
        add_never_cache_headers(response)
        return response

    snippet = CallBackForm.objects.filter(pk=form_id).first() if form_id else None
    setattr(
        request,
        FORM_STATE_ATTR,
        # Keep the original render time so a correction is not mistaken for a bot's speed.
        {"form": form, "rendered_at": rendered_at or (time.time() - 3600)},
    )
    page = Page.objects.live().filter(pk=page_id).first() if page_id else None
    response = None
    if page is not None:
        page = page.specific
        try:
            response = TemplateResponse(
                request, page.get_template(request), page.get_context(request), status=400
            )
            response.render()
        except Exception:
            # The page could not be drawn for a POST: fall back to the form on its own.
            logger.exception("Could not re-render page %s with call-back errors", page.pk)
            response = None
    if response is None:
        response = TemplateResponse(
            request,
            "leads/callback_page.html",
            {"callback_form": snippet or CallBackForm(), "source_page": page},
            status=400,
        )
    add_never_cache_headers(response)
    return response


def sent(request):
    """Where a reader lands after sending the form from a page that no longer exists."""
    return TemplateResponse(request, "leads/sent.html", {"callback_form": CallBackForm()})
