"""The page cache's one table (app label ``home``, registered by home/models.py)."""

from django.db import models


class MissedPurge(models.Model):
    """A purge that could not reach Redis. While one is recorded, the next process to reach
    Redis without having replaced the generation since the outage replaces it
    (home/page_cache/recovery.py), then forgets these rows."""

    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "home"
        verbose_name = "missed page-cache purge"
