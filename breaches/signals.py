"""What follows from saves, deletes and migrations in the breaches app.

- Editors publish case studies: Wagtail gives its Editors group add and edit on the whole
  tree, but publish only to Moderators. When the case study index is created, Editors are also
  given publish on it (and so on every case study under it), and on nothing else.
- The case studies' own search index follows their breach types' names, and after `migrate`
  any case study never indexed is indexed.
- The page cache learns which case studies list another among their related posts.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver
from wagtail.models import GroupPagePermission, Site

from breaches import search_index
from breaches.models import BreachCaseStudyPage, RelatedCaseStudy
from home.page_cache import purge_all, register_dependents

EDITORS = "Editors"


def let_editors_publish_under(page):
    editors = Group.objects.filter(name=EDITORS).first()
    if editors is None:
        return
    publish = Permission.objects.get(content_type__app_label="wagtailcore", codename="publish_page")
    GroupPagePermission.objects.get_or_create(group=editors, page=page, permission=publish)


@receiver(post_save, sender="breaches.BreachIndexPage", dispatch_uid="breaches-editors-publish")
def _index_created(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        let_editors_publish_under(instance)


@receiver(post_save, sender="breaches.BreachType", dispatch_uid="breaches-type-saved")
def _type_saved(sender, instance, raw=False, **kwargs):
    # Case studies are found by their breach types' names.
    if not raw:
        search_index.reindex(instance.case_studies.all())


@receiver(pre_delete, sender="breaches.BreachType", dispatch_uid="breaches-type-deleting")
def _type_deleting(sender, instance, **kwargs):
    # Which case studies carried it is known only before the delete cascades.
    instance._case_study_ids = list(instance.case_studies.values_list("pk", flat=True))


@receiver(post_delete, sender="breaches.BreachType", dispatch_uid="breaches-type-deleted")
def _type_deleted(sender, instance, **kwargs):
    ids = getattr(instance, "_case_study_ids", [])
    if ids:
        search_index.reindex(BreachCaseStudyPage.objects.filter(pk__in=ids))


def index_missing(**kwargs):
    """After migrate (connected in breaches/apps.py): index the case studies that have never
    been (rows that existed before migration 0004, or were written without save())."""
    ids = search_index.unindexed_ids()
    if ids:
        search_index.reindex(BreachCaseStudyPage.objects.filter(pk__in=ids))


# Past this many, purging every cached page is cheaper than naming each one.
MANY_DEPENDENTS = 300


def pages_showing_case_study(page):
    """For the page cache: the case studies whose related posts may list this one (editors'
    picks, and every case study sharing a breach type or the sector, which the automatic
    places are chosen from). Its ancestors, the feed and the sitemap are purged anyway."""
    page = page.specific_deferred if hasattr(page, "specific_deferred") else page
    if not isinstance(page, BreachCaseStudyPage):
        return []
    pickers = RelatedCaseStudy.objects.filter(related_page_id=page.pk).values("page_id")
    type_ids = [breach_type.pk for breach_type in page.breach_types.all()]
    neighbours = (
        BreachCaseStudyPage.objects.live()
        .exclude(pk=page.pk)
        .filter(Q(pk__in=pickers) | Q(breach_types__in=type_ids) | Q(sector=page.sector))
    )
    paths = list(neighbours.distinct().values_list("url_path", flat=True)[: MANY_DEPENDENTS + 1])
    if len(paths) > MANY_DEPENDENTS:
        purge_all()
        return []
    return [_site_relative(path) for path in paths]


def _site_relative(url_path):
    for root in Site.get_site_root_paths():
        if url_path.startswith(root.root_path):
            return "/" + url_path[len(root.root_path) :]
    return url_path


def connect_page_cache():
    register_dependents(pages_showing_case_study)
