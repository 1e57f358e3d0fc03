"""Background jobs of the site shell, and the signal receiver that enqueues them."""

from django.db import transaction
from django_tasks import task, task_backends
from django_tasks.backends.immediate import ImmediateBackend

from home.renditions import make_renditions_now


@task()
def make_renditions(image_id):
    """Every rendition the templates use, for one image (see home/renditions.py)."""
    return make_renditions_now(image_id)


_BOOKKEEPING = frozenset({"file_size", "file_hash"})


def on_image_saved(sender, instance, update_fields=None, **kwargs):
    """After the upload or edit commits, ask the worker for the image's renditions.

    Only where a worker runs the tasks: with the immediate backend (`make run`, most tests)
    the uploader would wait for them instead, and the first reader makes them as before."""
    if update_fields and set(update_fields) <= _BOOKKEEPING:
        return
    if isinstance(task_backends["default"], ImmediateBackend):
        return
    image_id = instance.pk
    transaction.on_commit(lambda: make_renditions.enqueue(image_id))
