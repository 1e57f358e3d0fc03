"""Background jobs of the site shell."""

from django_tasks import task

from home.renditions import make_renditions_now


@task()
def make_renditions(image_id):
    """Every rendition the templates use, for one image (see home/renditions.py)."""
    return make_renditions_now(image_id)
