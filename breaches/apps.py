from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BreachesConfig(AppConfig):
    """Breach case studies: the pages, their taxonomy, listings and feed."""

    name = "breaches"
    verbose_name = "Case studies"

    def ready(self):
        from breaches import signals

        signals.connect_page_cache()
        # Rows that existed before the index did, or were written without save().
        post_migrate.connect(
            signals.index_missing, sender=self, dispatch_uid="breaches-search-index"
        )

        from breaches.templatetags.seo_tags import SOCIAL_IMAGE_SPEC
        from home import renditions

        # As written in templates/breaches/breach_case_study_page.html and includes/card.html.
        renditions.register("case study hero", "format-{webp,jpeg}|fill-{480x270,800x450,1200x675}")
        renditions.register("case study card", "format-{webp,jpeg}|fill-{400x225,800x450}")
        renditions.register("social image", SOCIAL_IMAGE_SPEC)
