"""The Wagtail admin works under its nonce-based Content-Security-Policy (no 'unsafe-inline'
or 'unsafe-eval' for scripts, <style> elements only with the nonce): an editor walks the
admin and does the everyday work, and the browser reports no violation anywhere.

Violations are collected twice: by a `securitypolicyviolation` listener installed before any
page script runs (in every frame), and from the console, where Chromium also reports what
frames and workers block. Uncaught page errors fail the test too: a blocked script often
shows up only as the code after it failing.
"""

import base64

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from playwright.sync_api import expect
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page

from tests.leads.factories import make_lead
from tests.second_factor import enter_code, give_authenticator

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "correct-horse-battery-staple"

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push(
        `${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
        + ` at ${event.sourceFile}:${event.lineNumber}:${event.columnNumber}`
    );
});
"""

# A Google Docs paragraph as it reaches the clipboard: a <b> wrapper that is not bold, and
# the formatting in style attributes, which Draft.js reads.
GOOGLE_DOCS_HTML = (
    '<meta charset="utf-8"><b style="font-weight:normal;" id="docs-internal-guid-1">'
    '<p dir="ltr"><span style="font-weight:400;">plain words </span>'
    '<span style="font-weight:700;">bold words</span></p></b>'
)
COPY = """(html) => navigator.clipboard.write([new ClipboardItem({
    "text/html": new Blob([html], {type: "text/html"}),
    "text/plain": new Blob(["plain words bold words"], {type: "text/plain"}),
})])"""

STORED_DOCUMENT_LINK = """() => [...document.querySelectorAll("input[type=hidden]")].some(
    (field) => field.value.includes('"DOCUMENT"') && field.value.includes("Read our claim guide")
)"""

ONE_PIXEL_PNG_B64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGA"
    "hKmMIQAAAABJRU5ErkJggg=="
)
ONE_PIXEL_PNG = base64.b64decode(ONE_PIXEL_PNG_B64)
JCROP_ON_INLINE_IMAGE = """(src) => new Promise((resolve) => {
    const image = $('<img alt="">').attr("src", src).appendTo(".focal-point-chooser");
    image.Jcrop({}, function () { resolve(this.ui.holder.length); });
})"""


class Watch:
    """What the browser reported, step by step: `seen(step)` files everything reported
    since the last call under that step's name; `problems()` lists the steps that had any."""

    def __init__(self, page):
        self.page = page
        self.pending = []
        self.by_step = {}
        page.on(
            "console",
            lambda msg: (
                self.pending.append(f"console: {msg.text}")
                if "Content Security Policy" in msg.text
                else None
            ),
        )
        page.on("pageerror", lambda error: self.pending.append(f"page error: {error}"))
        page.add_init_script(WATCH_VIOLATIONS)

    def seen(self, step):
        self.page.wait_for_load_state("networkidle")
        found = self.pending + self.page.evaluate("window.__cspViolations || []")
        self.page.evaluate("window.__cspViolations = []")
        self.pending = []
        self.by_step[step] = found

    def problems(self):
        return "\n".join(
            f"{step}: {line}" for step, found in self.by_step.items() for line in found
        )


@pytest.fixture
def editor(page, live_server, demo_site):
    """A superuser signed in to the admin of the demo site, with one document and one lead
    (the demo has neither), and the watch on the browser."""
    user = get_user_model().objects.create_superuser("editor", "editor@example.test", PASSWORD)
    # A superuser, with an authenticator: its code comes after the password.
    authenticator = give_authenticator(user)
    get_document_model().objects.create(
        title="Claim guide", file=ContentFile(b"How to claim.", name="claim-guide.txt")
    )
    make_lead(full_name="Nadia New")
    watch = Watch(page)
    page.goto(f"{live_server.url}/admin/login/")
    watch.seen("sign-in page")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    watch.seen("second factor page")
    enter_code(page, authenticator)
    page.wait_for_url(f"{live_server.url}/admin/")
    watch.seen("dashboard")
    return watch


def _choose_in_modal(page, title, choice):
    modal = page.locator(".modal-dialog")
    expect(modal.get_by_role("heading", name=title)).to_be_visible()
    modal.get_by_role("link", name=choice).first.click()
    expect(modal).to_be_hidden()


def _paragraphs_with(page, text):
    return [
        str(block.value.source)
        for block in page.body
        if block.block_type == "paragraph" and text in block.value.source
    ]


def test_every_admin_area_loads_without_violations(page, live_server, editor):
    from breaches.models import BreachCaseStudyPage, BreachIndexPage, BreachType
    from home.models import HomePage, StandardPage
    from leads.models import CallBackForm, Lead

    home = HomePage.objects.get()
    standard = StandardPage.objects.first()
    index = BreachIndexPage.objects.get()
    case_study = BreachCaseStudyPage.objects.first()
    areas = {
        "page explorer, root": f"/admin/pages/{Page.objects.get(depth=1).pk}/",
        "page explorer, home": f"/admin/pages/{home.pk}/",
        "edit home page": f"/admin/pages/{home.pk}/edit/",
        "edit standard page": f"/admin/pages/{standard.pk}/edit/",
        "edit breach index": f"/admin/pages/{index.pk}/edit/",
        "edit case study": f"/admin/pages/{case_study.pk}/edit/",
        "choose page type": f"/admin/pages/{home.pk}/add_subpage/",
        "add standard page": f"/admin/pages/add/home/standardpage/{home.pk}/",
        "add case study": f"/admin/pages/add/breaches/breachcasestudypage/{index.pk}/",
        "page history": f"/admin/pages/{home.pk}/history/",
        "page search": "/admin/pages/search/?q=data",
        "snippets": "/admin/snippets/",
        "call-back forms": "/admin/snippets/leads/callbackform/",
        "edit call-back form": (
            f"/admin/snippets/leads/callbackform/edit/{CallBackForm.objects.first().pk}/"
        ),
        "breach types": "/admin/snippets/breaches/breachtype/",
        "edit breach type": (
            f"/admin/snippets/breaches/breachtype/edit/{BreachType.objects.first().pk}/"
        ),
        "images": "/admin/images/",
        "upload images": "/admin/images/multiple/add/",
        "edit image": f"/admin/images/{get_image_model().objects.first().pk}/",
        "documents": "/admin/documents/",
        "upload documents": "/admin/documents/multiple/add/",
        "edit document": f"/admin/documents/edit/{get_document_model().objects.get().pk}/",
        "site settings": "/admin/settings/home/sitesettings/",
        "users": "/admin/users/",
        "add user": "/admin/users/new/",
        "groups": "/admin/groups/",
        "edit group": "/admin/groups/edit/1/",
        "leads desk": "/admin/leads/lead/",
        "leads desk, filtered": "/admin/leads/lead/?status__exact=new",
        "inspect lead": f"/admin/leads/lead/inspect/{Lead.objects.get().pk}/",
        "erase a person's leads": "/admin/leads/lead/erase/",
        "subject access export": "/admin/leads/lead/subject-access/",
        "cookie groups": "/admin/cookie_consent/cookiegroup/",
        "edit cookie group": "/admin/cookie_consent/cookiegroup/edit/1/",
        "cookies": "/admin/cookie_consent/cookie/",
        "add cookie": "/admin/cookie_consent/cookie/create/",
        "consent record (empty listing)": "/admin/home/consentrecord/",
        "search promotions": "/admin/searchpicks/",
        "add search promotion": "/admin/searchpicks/add/",
        "search terms report": "/admin/searchpicks/reports/search-terms/",
        "redirects": "/admin/redirects/",
        "add redirect": "/admin/redirects/add/",
        "locked pages report": "/admin/reports/locked/",
        "site history report": "/admin/reports/site-history/",
        "workflows report": "/admin/reports/workflow/",
        "page types report": "/admin/reports/page-types-usage/",
        "conversion report": "/admin/reports/conversion/",
        "conversion report per campaign": "/admin/reports/conversion/?group=campaign",
        "workflows": "/admin/workflows/list/",
        "collections": "/admin/collections/",
        "sites": "/admin/sites/",
        "account": "/admin/account/",
    }
    for area, path in areas.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, f"{area}: {path} answered {response.status}"
        editor.seen(area)

    assert not editor.problems(), "CSP violations in the admin:\n" + editor.problems()


# The editor's own background requests (editing sessions, preview) run beside the test in the
# live server's thread; SQLite's shared in-memory database refuses such overlapping
# transactions ("cannot start a transaction within a transaction"), PostgreSQL serves them.
@pytest.mark.postgres
def test_editing_pages_works_without_violations(page, live_server, editor, artifacts_dir):
    from breaches.models import BreachCaseStudyPage
    from home.models import HomePage, StandardPage

    # Choosers: the widgets' own scripts (nonced) wire the buttons to the modals.
    home = HomePage.objects.get()
    page.goto(f"{live_server.url}/admin/pages/{home.pk}/edit/")
    page.get_by_role("button", name="Choose a page").click()
    _choose_in_modal(page, "Choose a page", "Home")
    expect(page.locator("#id_cta_page-chooser [data-chooser-title]")).to_have_text("Home")
    page.get_by_role("button", name="Choose call-back form").click()
    _choose_in_modal(page, "Choose call-back form", "Default call back")
    # The preview panel frames the public page rendered under the admin policy.
    page.get_by_role("button", name="Toggle preview").click()
    expect(page.frame_locator("#w-preview-iframe").get_by_role("heading", level=1)).to_have_text(
        home.hero_heading, timeout=15_000
    )
    editor.seen("home page: page and snippet choosers, preview")

    case_study = BreachCaseStudyPage.objects.first()
    page.goto(f"{live_server.url}/admin/pages/{case_study.pk}/edit/")
    hero = page.locator("#id_hero_image-chooser")
    hero.get_by_role("button", name="Actions").click()
    hero.get_by_role("button", name="Change image").click()
    expect(
        page.locator(".modal-dialog").get_by_role("heading", name="Choose an image")
    ).to_be_visible()
    page.locator(".modal-dialog [data-chooser-modal-choice]").nth(1).click()
    expect(hero.locator("[data-chooser-title]")).not_to_have_text(case_study.hero_image.title)
    # An inline panel copies its empty form, nonced date widget script included.
    dates = page.locator("input[id^='id_sources-'][id$='-date']:not([id*='__prefix__'])")
    before = dates.count()
    page.get_by_role("button", name="Add Source").click()
    expect(dates).to_have_count(before + 1)
    dates.last.click()
    expect(page.locator(".xdsoft_datetimepicker:visible")).to_have_count(1)
    editor.seen("case study: image chooser, inline panel, date picker")

    # StreamField, the rich text editor and its document chooser, then save and publish.
    about = StandardPage.objects.get(slug="about")
    page.goto(f"{live_server.url}/admin/pages/{about.pk}/edit/")
    # Added at the end of the body, so its editor is the last one on the form.
    editors = page.locator("[role=textbox][contenteditable=true]:visible")
    before = editors.count()
    page.locator("button.c-sf-add-button:visible").last.click()
    page.get_by_role("option", name="Paragraph").click()
    expect(editors).to_have_count(before + 1)
    editors.last.click()
    page.keyboard.type("Read our claim guide. ")
    page.keyboard.type("/")
    page.get_by_role("option", name="Document").click()
    _choose_in_modal(page, "Choose a document", "Claim guide")
    expect(editors.last).to_contain_text("Read our claim guide. Claim guide")
    # The editor copies its content to the form field a moment after a change.
    page.wait_for_function(STORED_DOCUMENT_LINK)
    # Saving and publishing take seconds on a busy machine.
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messages")).to_contain_text("has been updated", timeout=15_000)
    about.refresh_from_db()
    [paragraph] = _paragraphs_with(about.get_latest_revision_as_object(), "Read our claim guide.")
    assert 'linktype="document"' in paragraph
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".messages")).to_contain_text("has been published", timeout=15_000)
    about.refresh_from_db()
    assert _paragraphs_with(about, "Read our claim guide.")
    editor.seen("standard page: add block, document link, save draft, publish")

    # Scheduling: the dialog's date-time widget is a copy of a nonced script.
    page.goto(f"{live_server.url}/admin/pages/{about.pk}/edit/")
    page.get_by_role("button", name="Toggle status").click()
    page.get_by_role("button", name="Set schedule").click()
    page.locator("#id_go_live_at").click()
    expect(page.locator(".xdsoft_datetimepicker:visible")).to_have_count(1)
    page.keyboard.press("Escape")
    editor.seen("scheduling dialog")

    # Pasting from Google Docs keeps its formatting: Draft.js reads the pasted HTML's style
    # attributes, which is why the policy allows style attributes (see home.security).
    # The text goes through the browser's real clipboard and keys, as an editor's does: Draft.js
    # ignores a scripted paste event in Chromium 156.0.8078.108, Debian's security update of
    # 2026-11-26, though it took one in the Chromium that CI installed before.
    editors = page.locator("[role=textbox][contenteditable=true]:visible")
    before = editors.count()
    page.locator("button.c-sf-add-button:visible").last.click()
    page.get_by_role("option", name="Paragraph").click()
    expect(editors).to_have_count(before + 1)
    pasted = editors.last
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.evaluate(COPY, GOOGLE_DOCS_HTML)
    pasted.click()
    page.keyboard.press("ControlOrMeta+V")
    expect(pasted).to_contain_text("plain words bold words")
    bold = pasted.locator("span[style*='font-weight: bold']")
    expect(bold).to_have_count(1)
    expect(bold).to_have_text("bold words")
    page.screenshot(path=artifacts_dir / "admin-page-editor-csp.png", full_page=True)
    editor.seen("paste from Google Docs")

    assert not editor.problems(), "CSP violations in the admin:\n" + editor.problems()


def test_other_admin_tools_work_without_violations(page, live_server, editor, tmp_path):
    from wagtail.contrib.search_promotions.models import SearchPromotion

    # Image upload, then the focal point chooser (Jcrop) on the image's edit page.
    upload = tmp_path / "dot.png"
    upload.write_bytes(ONE_PIXEL_PNG)
    page.goto(f"{live_server.url}/admin/images/multiple/add/")
    page.set_input_files("#fileupload", upload)
    expect(page.locator("#upload-list .status-msg.success")).to_be_visible()
    image = get_image_model().objects.get(title="dot")
    page.goto(f"{live_server.url}/admin/images/{image.pk}/")
    # The chooser starts Jcrop once its image has loaded, and the test server does not serve
    # media, so start Jcrop on an inline copy of the image, as the chooser would.
    holders = page.evaluate(JCROP_ON_INLINE_IMAGE, "data:image/png;base64," + ONE_PIXEL_PNG_B64)
    assert holders == 1
    editor.seen("image upload, focal point chooser")

    # Search promotions: a formset row added by script, with a page chooser in it.
    page.goto(f"{live_server.url}/admin/searchpicks/add/")
    page.get_by_role("button", name="Add a recommended result").click()
    page.locator("main").get_by_role("button", name="Choose a page").last.click()
    _choose_in_modal(page, "Choose a page", "Home")
    page.get_by_role("button", name="Choose from popular search terms").click()
    expect(page.locator(".modal-dialog")).to_be_visible()
    page.locator(".modal-dialog").get_by_role("button", name="Close").click()
    page.locator("#id_query_string").fill("claims")
    page.get_by_role("button", name="Create").click()
    expect(page.locator(".messages")).to_contain_text("created")
    assert SearchPromotion.objects.filter(query__query_string="claims").exists()
    editor.seen("search promotion")

    # The leads desk: filters and the export menu.
    page.goto(f"{live_server.url}/admin/leads/lead/")
    page.locator(".changelist-filter").get_by_role("link", name="New", exact=True).click()
    expect(page.locator("table.listing")).to_contain_text("Nadia New")
    page.get_by_role("button", name="More actions").click()
    expect(page.get_by_role("link", name="Download CSV")).to_be_visible()
    editor.seen("leads desk")

    # The public site keeps its own strict policy for a signed-in editor (Wagtail's userbar).
    page.goto(f"{live_server.url}/")
    page.get_by_role("button", name="View Wagtail quick actions").click()
    expect(page.get_by_role("menuitem", name="Edit this page")).to_be_visible()
    editor.seen("public page with userbar")

    assert not editor.problems(), "CSP violations in the admin:\n" + editor.problems()
