from django.apps import AppConfig


class BreachesConfig(AppConfig):
    """Breach case studies: the pages, their taxonomy, listings and feed."""

    name = "breaches"
    verbose_name = "Case studies"

    def ready(self):
        from breaches import signals

        signals.connect_page_cache()
