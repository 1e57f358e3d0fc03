"""What purges what: the page and model signals the page cache listens to."""

from django.apps import apps
from django.db.models.signals import post_delete, post_save, pre_delete
from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
from wagtail.documents.models import AbstractDocument
from wagtail.images.models import AbstractImage
from wagtail.models import Page, Site
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move
from wagtail.snippets.models import get_snippet_models

from home.page_cache.conf import setting
from home.page_cache.purge import (
    on_commit_too,
    page_paths,
    paths_showing,
    purge_all,
    purge_pages,
    purge_paths,
)
from home.page_cache.recovery import cache_recovered

# Saves that only touch the editor's bookkeeping do not change the live page.
_BOOKKEEPING_FIELDS = frozenset(
    {
        "latest_revision",
        "latest_revision_created_at",
        "has_unpublished_changes",
        "draft_title",
        "locked",
        "locked_at",
        "locked_by",
        "live_revision",
        "expired",
        "workflow_state",
        "file_size",
        "file_hash",
    }
)


def _is_bookkeeping(update_fields):
    return bool(update_fields) and set(update_fields) <= _BOOKKEEPING_FIELDS


def _on_page_published(sender, instance, **kwargs):
    purge_pages([instance])


def _on_page_unpublished(sender, instance, **kwargs):
    purge_pages([instance])


def _on_page_saved(sender, instance, update_fields=None, **kwargs):
    # Direct saves of live pages (scripts, demo loaders, tests) change what readers see too;
    # publishing from the admin also arrives here, which costs one more cheap purge.
    if isinstance(instance, Page) and instance.live and not _is_bookkeeping(update_fields):
        purge_pages([instance])


def _readdressed_paths(page, url_path_before, url_path_after):
    """A page and its whole subtree changed address (moved, or its slug changed): the old
    addresses (now 404s or Wagtail's redirects, which a cached page would hide), the new ones,
    and every page showing it at either."""
    root_paths = Site.get_site_root_paths()
    # The page's ancestors and dependents are the same at either address: only its own old
    # paths and its subtree's need adding to what shows it now.
    paths = paths_showing(page, url_path_after) | page_paths(page, url_path_before, root_paths)
    for descendant in page.get_descendants().only("url_path"):
        if descendant.url_path.startswith(url_path_after):
            old = url_path_before + descendant.url_path[len(url_path_after) :]
            paths |= page_paths(descendant, old, root_paths)
    return paths


def _on_page_moved(sender, instance, url_path_before, url_path_after, **kwargs):
    paths = _readdressed_paths(instance, url_path_before, url_path_after)
    parent_before = kwargs.get("parent_page_before")
    if parent_before is not None:
        # The old parent's listing showed it.
        paths |= paths_showing(parent_before)
    on_commit_too(purge_paths, paths)


def _on_slug_changed(sender, instance, instance_before, **kwargs):
    # Wagtail sends this once the transaction has committed, so purge at once.
    purge_paths(_readdressed_paths(instance, instance_before.url_path, instance.url_path))


def _on_page_deleted(sender, instance, **kwargs):
    # pre_delete: the tree is still there to tell us the ancestors and dependents.
    purge_pages([instance])


def _purges_everything(model):
    label = model._meta.label
    if label in setting("PAGE_CACHE_IGNORE_MODELS"):
        return False
    if label in setting("PAGE_CACHE_PURGE_ALL_MODELS"):
        return True
    if issubclass(
        model, (BaseSiteSetting, BaseGenericSetting, AbstractImage, AbstractDocument, Site)
    ):
        return True
    return model in get_snippet_models()


def _on_model_changed(sender, instance, update_fields=None, created=False, **kwargs):
    if issubclass(sender, Page) or _is_bookkeeping(update_fields):
        return
    if created and issubclass(sender, (AbstractImage, AbstractDocument)):
        # A new upload is on no page yet; publishing the page that uses it purges that page.
        return
    if _purges_everything(sender):
        on_commit_too(purge_all, sender._meta.label not in setting("PAGE_CACHE_NO_STALE_MODELS"))


def connect_signals():
    """Connect the purges; called once the apps are ready (HomeConfig.ready)."""
    page_published.connect(_on_page_published, dispatch_uid="page_cache_published")
    page_unpublished.connect(_on_page_unpublished, dispatch_uid="page_cache_unpublished")
    post_page_move.connect(_on_page_moved, dispatch_uid="page_cache_moved")
    page_slug_changed.connect(_on_slug_changed, dispatch_uid="page_cache_slug_changed")
    pre_delete.connect(_on_page_deleted, sender=Page, dispatch_uid="page_cache_page_deleted")
    post_save.connect(_on_page_saved, dispatch_uid="page_cache_page_saved")
    # Any model: which ones matter (snippets are registered late) is decided per save.
    post_save.connect(_on_model_changed, dispatch_uid="page_cache_model_saved")
    post_delete.connect(_on_model_changed, dispatch_uid="page_cache_model_deleted")
    cache_recovered.connect(_on_cache_recovered, dispatch_uid="page_cache_recovered")


def _on_cache_recovered(sender, **kwargs):
    # Wagtail keeps the sites' root paths in the shared cache and clears them when a Site is
    # saved; a save during the outage could not.
    Site.clear_site_root_paths_cache()


def is_page_cache_model(model_label):
    """For tests and checks: does saving this model purge the whole page cache?"""
    return _purges_everything(apps.get_model(model_label))
