import pytest
from django.contrib.auth.models import Group, Permission
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from breaches.models import BreachCaseStudyPage, BreachIndexPage, BreachType
from home.models import HomePage, StandardPage


class TestPageCreationRules(WagtailPageTestCase):
    def test_index_sits_under_home_only_once(self):
        self.assertAllowedParentPageTypes(BreachIndexPage, {HomePage})
        self.assertAllowedSubpageTypes(BreachIndexPage, {BreachCaseStudyPage})
        assert BreachIndexPage.max_count == 1

    def test_case_studies_sit_under_the_index_and_have_no_children(self):
        self.assertAllowedParentPageTypes(BreachCaseStudyPage, {BreachIndexPage})
        self.assertAllowedSubpageTypes(BreachCaseStudyPage, set())
        self.assertCanNotCreateAt(HomePage, BreachCaseStudyPage)
        self.assertCanNotCreateAt(StandardPage, BreachCaseStudyPage)
        self.assertCanNotCreateAt(Page, BreachIndexPage)


@pytest.mark.django_db
class TestBreachType:
    def test_slug_is_made_from_the_name(self):
        breach_type = BreachType.objects.create(name="Lost USB sticks & laptops")
        assert breach_type.slug == "lost-usb-sticks-laptops"
        assert str(breach_type) == "Lost USB sticks & laptops"

    def test_editor_slug_is_kept(self):
        assert BreachType.objects.create(name="Phishing", slug="phish").slug == "phish"


@pytest.mark.django_db
class TestPeriod:
    @pytest.mark.parametrize(
        ("start", "end", "shown"),
        [(2016, None, "2016"), (2016, 2016, "2016"), (2016, 2018, "2016–2018"), (None, None, "")],
    )
    def test_period_reads_as_a_year_or_range(self, start, end, shown):
        assert BreachCaseStudyPage(period_start=start, period_end=end).period == shown


@pytest.mark.django_db
class TestEditorsGroup:
    def test_editors_manage_breach_types_and_only_form_wording_in_leads(self):
        editors = Group.objects.get(name="Editors")
        codenames = set(
            editors.permissions.filter(content_type__app_label="breaches").values_list(
                "codename", flat=True
            )
        )
        assert codenames == {
            "add_breachtype",
            "change_breachtype",
            "delete_breachtype",
            "view_breachtype",
        }
        # In leads, only the call-back form's wording (leads.0009): no lead, note or call.
        in_leads = editors.permissions.filter(content_type__app_label="leads")
        assert set(in_leads.values_list("content_type__model", flat=True)) == {"callbackform"}
        assert Permission.objects.filter(codename="add_breachtype").count() == 1
