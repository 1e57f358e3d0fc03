from django.apps import AppConfig
from django.db.models.signals import post_save
from wagtail.images import get_image_model


class HomeConfig(AppConfig):
    """The site shell: home and standard pages, site settings, navigation and shared blocks."""

    name = "home"
    verbose_name = "Site"

    def ready(self):
        # Imported here, not at the top: Django imports this module before any model can be
        # loaded, and these modules load models.
        from home import consent, offline, tasks
        from home.models import SiteSettings
        from home.page_cache import connect_signals

        # Any change to the cookie lists, from the admin or code, must reach every process.
        consent.connect_signals(self)
        connect_signals()

        post_save.connect(
            tasks.on_image_saved, sender=get_image_model(), dispatch_uid="renditions-on-upload"
        )
        # The 503 page's copy of the freephone number follows the settings (home/offline.py).
        post_save.connect(
            offline.on_site_settings_saved, sender=SiteSettings, dispatch_uid="offline-contact"
        )
