"""The site's three main journeys, performed the way people perform them, in Debian's Chromium.

1. An editor (in the Editors group, not a superuser) creates and publishes a case study in the
   Wagtail admin; readers then find it in the index, the feed, the sitemap and the search.
2. A reader arrives on it from a campaign link, rejects cookies, sends the call-back form with
   a mistake, corrects it, and is told it was sent; the lead keeps the campaign values.
3. A lead manager finds that lead on the dashboard and the desk, sets its status and owner,
   filters the list and downloads exactly the filtered rows as CSV.

Each journey saves a screenshot of where it ends (and, on failure, of every open page) to the
`artifacts_dir` folder.
"""

import csv
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from breaches.models import BreachCaseStudyPage, BreachIndexPage, BreachType
from leads.models import CallBackForm, Lead, LeadStatus
from tests.e2e.pristine import migrated_db  # noqa: F401 - a fixture
from tests.second_factor import enter_code, give_authenticator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"
TITLE = "Ravensholt County Council: foster carers' files left on a train"
SLUG = "ravensholt-county-council-foster-carers-files"
SUMMARY = (
    "A council social worker left a bag of printed foster carer assessments on a commuter "
    "train. The files named carers and the children placed with them."
)
RELATED = "West Midlands Police data breaches over the years"
FORM_HEADING = "Were you named in the Ravensholt files?"


@pytest.fixture
def site(migrated_db, live_server, settings, demo_site):  # noqa: F811 - the imported fixture
    # A test browser types faster than a person; the too-fast signal has its own tests.
    settings.LEADS_MIN_FILL_SECONDS = 0
    # Wagtail 8 autosaves a new page half a second after each change and turns the create form
    # into the edit form. Publishing while that request is in flight posts the create form a
    # second time, which Wagtail answers with a 500 (its slug check); waiting for the autosave
    # instead timed out on a loaded CI machine. The journey is about publishing: autosave off.
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0
    # A second call-back box for the editor to choose: its heading shows the choice took.
    form = CallBackForm.objects.get(name="Default call back")
    form.pk = None
    form.name, form.heading = "Ravensholt call back", FORM_HEADING
    form.save()
    return live_server.url


@pytest.fixture
def screenshot_on_failure(request, browser, artifacts_dir):
    yield
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.failed:
        return
    for c, context in enumerate(browser.contexts):
        for p, open_page in enumerate(context.pages):
            open_page.screenshot(
                path=str(artifacts_dir / f"FAILED-{request.node.name}-{c}-{p}.png"),
                full_page=True,
            )


def make_user(username, group):
    user = get_user_model().objects.create_user(
        username, f"{username}@example.test", PASSWORD, first_name=username.title()
    )
    user.groups.add(Group.objects.get(name=group))
    return user


def sign_in(page, base, username, authenticator=None):
    """Password, then the code from the user's authenticator when they have one."""
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if authenticator:
        page.wait_for_url(re.compile(r"/admin/second-factor/"))
        enter_code(page, authenticator)
    page.wait_for_url(f"{base}/admin/")


def publish_in_admin(page, base):
    """What the editor does in the page editor, from the index page's 'Add child page'."""
    index = BreachIndexPage.objects.get()
    page.goto(f"{base}/admin/pages/{index.pk}/")
    page.get_by_role("link", name="Add child page").first.click()
    if "/add/breaches/breachcasestudypage/" not in page.url:
        page.get_by_role("link", name=re.compile("Breach case study", re.I)).click()
    page.wait_for_url(re.compile(r"/add/breaches/breachcasestudypage/"))

    page.locator("#id_title").fill(TITLE)
    page.locator("#id_summary").fill(SUMMARY)
    page.locator("#id_organisation").fill("Ravensholt County Council")
    page.locator("#id_sector").select_option("council")
    page.locator("#id_period_start").fill("2024")
    page.get_by_label("Lost or stolen devices").check()
    page.get_by_label("Inappropriate disclosure", exact=False).first.check()

    # A related case study, picked in the page chooser.
    page.get_by_role("button", name="Add related case study").click()
    page.get_by_role("button", name=re.compile("Choose a page")).first.click()
    modal = page.locator(".modal-dialog")
    expect(modal).to_be_visible()
    modal.get_by_role("link", name=RELATED).click()
    expect(modal).to_be_hidden()

    # The call-back box for this page, picked in the snippet chooser.
    page.get_by_role("button", name=re.compile("Choose call-back form", re.I)).click()
    expect(modal).to_be_visible()
    modal.get_by_role("link", name="Ravensholt call back").click()
    expect(modal).to_be_hidden()

    page.locator("footer .w-dropdown__toggle").first.click()
    page.locator('button[name="action-publish"]').click()
    expect(page.locator(".messages")).to_contain_text("published")


@pytest.mark.usefixtures("screenshot_on_failure")
def test_editor_publishes_a_case_study_readers_then_find(page, site, artifacts_dir):
    make_user("eddie", "Editors")
    sign_in(page, site, "eddie")
    publish_in_admin(page, site)

    study = BreachCaseStudyPage.objects.get(title=TITLE)
    assert study.live
    assert study.owner.username == "eddie"
    assert not study.owner.is_superuser
    assert set(study.breach_types.values_list("slug", flat=True)) >= {"lost-devices"}
    assert [link.related_page.title for link in study.related_links.all()] == [RELATED]
    assert study.callback_form.name == "Ravensholt call back"
    url = study.url

    # In the index, under the filters that describe it.
    page.goto(f"{site}/case-studies/?type=lost-devices&sector=council&year=2024")
    expect(page.locator(".case-card__title a")).to_have_text([TITLE])
    # In the feed and the sitemap.
    feed = page.request.get(f"{site}/case-studies/feed/")
    assert feed.ok and TITLE.replace("'", "&#x27;") in feed.text() or TITLE in feed.text()
    sitemap = page.request.get(f"{site}/sitemap.xml")
    assert f"{url}</loc>" in sitemap.text()
    # In the site search.
    page.goto(f"{site}/search/?q=Ravensholt+foster")
    result = page.get_by_role("link", name=TITLE)
    expect(result).to_be_visible()
    result.click()
    page.wait_for_url(re.compile(re.escape(url) + "$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("#callback-heading")).to_have_text(FORM_HEADING)
    expect(page.locator(".related").get_by_role("link", name=RELATED).first).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "journey-1-editor-published.png"), full_page=True)


def publish_directly():
    """The case study as the editor's journey leaves it, for the journeys that start after."""
    index = BreachIndexPage.objects.get()
    study = BreachCaseStudyPage(
        title=TITLE,
        slug=SLUG,
        summary=SUMMARY,
        organisation="Ravensholt County Council",
        sector="council",
        period_start=2024,
        callback_form=CallBackForm.objects.get(name="Ravensholt call back"),
    )
    index.add_child(instance=study)
    study.breach_types.set(BreachType.objects.filter(slug="lost-devices"))
    study.save_revision().publish()
    return study


def reader_sends_the_form(browser, base, study):
    """Journey 2, returning the stored lead."""
    context = browser.new_context()
    page = context.new_page()
    landing = f"{base}{study.url}?utm_source=newsletter&utm_campaign=ravensholt-2024"
    page.goto(landing)
    banner = page.get_by_role("region", name="Cookies on this site")
    banner.get_by_role("button", name="Reject all").click()
    expect(banner).to_be_hidden()

    box = page.locator("#callback")
    expect(box.get_by_role("heading", level=2)).to_have_text(FORM_HEADING)
    box.get_by_label("Full name").fill("Morwenna Tregarthen")
    box.get_by_label("Phone number").fill("0121 496 0")
    box.get_by_label("Email address").fill("morwenna.tregarthen@example")
    box.get_by_role("button", name="Request a call back").click()
    summary = page.locator("#callback-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter a valid phone number")
    expect(summary).to_contain_text("Choose the best time to call you")
    expect(summary).to_contain_text("Tick the box")
    assert Lead.objects.count() == 0

    box.get_by_label("Phone number").fill("0121 496 0733")
    box.get_by_label("Email address").fill("morwenna.tregarthen@example.org")
    box.get_by_label("Best time to call").select_option(label="Evening (5pm to 8pm)")
    box.get_by_label("I have read the privacy notice").check()
    box.get_by_role("button", name="Request a call back").click()
    result = page.locator("#callback-result")
    expect(result).to_be_focused()
    expect(result).to_contain_text("Request sent.")
    assert {c["name"] for c in context.cookies()} <= {"cookie_consent", "csrftoken", "sessionid"}
    return page, context


@pytest.mark.usefixtures("screenshot_on_failure")
def test_reader_arrives_from_a_campaign_and_asks_for_a_call_back(browser, site, artifacts_dir):
    study = publish_directly()
    page, context = reader_sends_the_form(browser, site, study)
    page.screenshot(path=str(artifacts_dir / "journey-2-reader-sent.png"), full_page=True)
    context.close()

    lead = Lead.objects.get()
    assert lead.full_name == "Morwenna Tregarthen"
    assert lead.phone == "+441214960733"
    assert lead.callback_time == "evening"
    assert (lead.utm_source, lead.utm_campaign) == ("newsletter", "ravensholt-2024")
    assert lead.source_page_id == study.pk
    assert lead.form.name == "Ravensholt call back"
    assert not lead.is_spam


@pytest.mark.usefixtures("screenshot_on_failure")
def test_lead_manager_works_the_lead_and_exports_the_filtered_rows(
    browser, page, site, artifacts_dir
):
    study = publish_directly()
    reader_page, context = reader_sends_the_form(browser, site, study)
    context.close()
    ours = Lead.objects.get()
    # Other leads on the desk, which the filters must leave out of the file.
    other_form = CallBackForm.objects.get(name="Default call back")
    for n, status in enumerate([LeadStatus.NEW, LeadStatus.NEW]):
        Lead.objects.create(
            full_name=f"Other Person {n}",
            phone=f"+44121496080{n}",
            email=f"other{n}@example.org",
            callback_time="morning",
            privacy_acknowledged_at=ours.privacy_acknowledged_at,
            form=other_form,
            source_page_title="Home",
            status=status,
        )
    manager = make_user("maggie", "Lead managers")

    sign_in(page, site, "maggie", give_authenticator(manager))
    panel = page.locator("section, div").filter(has_text="Leads").first
    expect(panel).to_be_visible()
    expect(page.get_by_text(TITLE).first).to_be_visible()  # top source pages

    page.goto(f"{site}/admin/leads/lead/")
    row = page.get_by_role("row").filter(has_text="Morwenna Tregarthen")
    expect(row).to_be_visible()
    row.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/admin/leads/lead/inspect/\d+/"))

    status = page.locator("#lead-status")
    next_status = status.locator("option").first.get_attribute("value")
    status.select_option(next_status)
    status.locator("xpath=ancestor::form").get_by_role("button").click()
    expect(page.locator(".messages")).to_contain_text("Status changed.")
    owner = page.get_by_label("Owner", exact=True)
    owner.select_option(label="Maggie")
    owner.locator("xpath=ancestor::form").get_by_role("button").click()
    expect(page.locator(".messages")).to_contain_text("Owner changed.")
    ours.refresh_from_db()
    assert ours.status == next_status
    assert ours.owner == manager

    # Filter to this lead's call-back form, then download what the list shows.
    page.goto(f"{site}/admin/leads/lead/?form={ours.form_id}&status__exact={next_status}")
    expect(page.get_by_role("row").filter(has_text="Morwenna Tregarthen")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Other Person")).to_have_count(0)
    export = page.locator(".w-dropdown-button").filter(has_text="Download XLSX")
    export.get_by_role("button", name="More actions").click()
    with page.expect_download() as download_info:
        export.get_by_role("link", name="Download CSV").click()
    path = download_info.value.path()
    text = open(path, encoding="utf-8-sig").read()  # noqa: SIM115 - read at once
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1, rows
    assert "Morwenna Tregarthen" in text
    assert "Other Person" not in text
    page.goto(f"{site}/admin/leads/lead/inspect/{ours.pk}/")
    page.screenshot(path=str(artifacts_dir / "journey-3-lead-manager.png"), full_page=True)
