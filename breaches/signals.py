"""Editors publish case studies: Wagtail gives its Editors group add and edit on the whole
tree, but publish only to Moderators. When the case study index is created, Editors are also
given publish on it (and so on every case study under it), and on nothing else."""

from django.contrib.auth.models import Group, Permission
from django.db.models.signals import post_save
from django.dispatch import receiver
from wagtail.models import GroupPagePermission

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
