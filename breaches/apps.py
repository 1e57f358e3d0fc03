from django.apps import AppConfig


class BreachesConfig(AppConfig):
    """Breach case studies: the pages, their taxonomy, listings and feed."""

    name = "breaches"
    verbose_name = "Case studies"

    def ready(self):
        from django.db.models.signals import post_migrate

        from breaches import search_index, signals

        signals.connect_page_cache()
        # Rows that existed before the index did, or were written without save().
        post_migrate.connect(
            search_index.index_missing, sender=self, dispatch_uid="breaches-search-index"
        )
