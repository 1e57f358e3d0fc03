from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class HomeConfig(AppConfig):
    """The site shell: home and standard pages, site settings, navigation and shared blocks."""

    name = "home"
    verbose_name = "Site"

    def ready(self):
        from cookie_consent.models import Cookie, CookieGroup

        from home.consent import on_consent_model_change, on_migrate
        from home.models import CookieDetail

        # Any change to the cookie lists, from the admin or code, must reach every process.
        for model in (CookieGroup, Cookie, CookieDetail):
            post_save.connect(
                on_consent_model_change, sender=model, dispatch_uid=f"consent-save-{model}"
            )
            post_delete.connect(
                on_consent_model_change, sender=model, dispatch_uid=f"consent-del-{model}"
            )
        # Data migrations write through historical models, which send no model signals.
        post_migrate.connect(on_migrate, sender=self, dispatch_uid="consent-migrate")
        from home.page_cache import connect_signals

        connect_signals()
        from wagtail.images import get_image_model

        from home.tasks import on_image_saved

        post_save.connect(
            on_image_saved, sender=get_image_model(), dispatch_uid="renditions-on-upload"
        )
