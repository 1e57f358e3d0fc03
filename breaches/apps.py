from django.apps import AppConfig


class BreachesConfig(AppConfig):
    """Breach case studies: the pages, their taxonomy, listings and feed."""

    name = "breaches"
    verbose_name = "Case studies"
