"""The Content-Security-Policy: a strict one for the public site, a nonce-based one for the
Wagtail admin, and the admin nonce for markup rendered without the request at hand.

Wired in cms/settings/base.py (MIDDLEWARE); the style-nonce script is registered by
home/wagtail_hooks.py.
"""

from contextvars import ContextVar

from csp.middleware import CSPMiddleware, PolicyParts
from csp.utils import default_config
from django.conf import settings
from django.http import HttpRequest
from django.templatetags.static import static
from django.utils.html import format_html

# The nonce of the admin response being rendered, for markup that is built without the
# request at hand: form widgets (rendered by the form renderer) and panel components. Set
# and reset by PathPolicyCSPMiddleware around each request; None outside the admin.
_admin_nonce: ContextVar[object | None] = ContextVar("admin_csp_nonce", default=None)


def admin_csp_nonce() -> str:
    """The nonce that the current admin response's Content-Security-Policy names, or "" when
    no admin response is being rendered (a public page must not carry one: see
    PathPolicyCSPMiddleware). Reading it puts the nonce in the header."""
    nonce = _admin_nonce.get()
    return str(nonce) if nonce is not None else ""


class PathPolicyCSPMiddleware(CSPMiddleware):
    """Sends the strict public Content-Security-Policy everywhere except the Wagtail admin,
    which gets a nonce-based one of its own.

    Why two policies: public pages may be cached whole (headers included), and a nonce is new
    on every response, so a cached page would carry a nonce that no longer matches its header,
    or worse, a header whose nonce an attacker has seen. The public site therefore uses no
    inline script or style at all and its header carries no nonce (`CONTENT_SECURITY_POLICY`
    holds no NONCE), so header and body can be cached together.

    The admin is never cached, so `CONTENT_SECURITY_POLICY_ADMIN` names a fresh nonce on every
    admin response and allows no other inline script: no 'unsafe-inline', no inline event
    handlers, and no 'unsafe-eval' (nothing in the admin evaluates strings; the browser would
    report it). Wagtail 8 writes inline scripts in several places; each gets the nonce
    (tests/e2e/test_admin_csp.py walks the admin to show it):
    - the Wagtail templates that write them are overridden in home/templates/ (date
      widgets, inline panels, search promotions) to add `{% admin_csp_nonce %}`, which
      needs no request in the context (widgets are rendered without one);
    - chooser widgets build their `<script>` in Python, with no template to override: the
      form renderer (home/security/chooser_scripts.py) gives the nonce to that one script;
    - scripts that Wagtail's JavaScript copies into the page (the scheduled-publishing dialog,
      inline panel forms) are clones of nonced ones and keep the nonce;
    - the one inline event handler, Jcrop's touch probe in the image focal point chooser, is
      never written: home/static/home/admin/jcrop-touch-support.js answers the probe.

    Styles: `<style>` elements need the nonce too; those that the admin's own JavaScript
    creates (Draftail, the rich text editor, writes its placeholder and list rules into
    them, with content that changes as the editor is used, so no hash could allow them) get
    it from home/static/home/admin/style-nonce.js, loaded on every admin page with the nonce.
    Style attributes (`style-src-attr`) are allowed: they cannot carry a nonce and cannot
    run script, their url()s can only load from our origin (default-src, img-src), and
    Draft.js needs them: it reads bold and italic from the style attributes of pasted HTML
    (Word, Google Docs), which it parses in a document under this policy; with them blocked a
    pasted Google Docs paragraph comes out all bold with its italics lost. What
    allowing them leaves open is injected markup restyling the admin; <style> elements,
    which could also read the page through selectors, stay nonce-only.

    Neither policy admits another origin.
    """

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        admin = uses_admin_policy(request)
        request._admin_nonce_token = _admin_nonce.set(request.csp_nonce if admin else None)

    def process_response(self, request: HttpRequest, response):
        if uses_admin_policy(request) and "html" in response.get("Content-Type", ""):
            # Every admin page names its nonce, whether or not this one used it, so the
            # policy an admin page runs under does not depend on which widgets it drew.
            str(request.csp_nonce)
        response = super().process_response(request, response)
        token = getattr(request, "_admin_nonce_token", None)
        if token is not None:
            _admin_nonce.reset(token)
            del request._admin_nonce_token
        return response

    def get_policy_parts(
        self, request: HttpRequest, response, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and parts.config is None and uses_admin_policy(request):
            admin_policy = getattr(settings, "CONTENT_SECURITY_POLICY_ADMIN", None)
            if admin_policy:
                parts.config = default_config(admin_policy["DIRECTIVES"])
        return parts


def uses_admin_policy(request: HttpRequest) -> bool:
    """The admin's own URLs, and the previews it renders: Wagtail runs a preview as a dummy
    request for the page's public URL through the whole middleware stack, and the admin's
    preview panel then frames that response."""
    if getattr(request, "is_dummy", False) or getattr(request, "is_preview", False):
        return True
    prefixes = tuple(getattr(settings, "CSP_ADMIN_URL_PREFIXES", ("/admin/",)))
    return request.path_info.startswith(prefixes)


def style_nonce_script():
    """The `insert_global_admin_js` hook: loads home/static/home/admin/style-nonce.js with the
    nonce, so the script can read it (document.currentScript.nonce) and give it to the <style>
    elements the admin's own JavaScript creates. Inserted before the editors' scripts."""
    return format_html(
        '<script src="{}" nonce="{}"></script>',
        static("home/admin/style-nonce.js"),
        admin_csp_nonce(),
    )
