"""The image renditions the site's templates use, and making them for one image; the task
worker does so when an image is uploaded or edited (home/tasks.py), so that no reader's request
waits for Pillow to resize a photograph.

Every filter spec the site's templates ask for is listed here, written exactly as in the
template tag (`{% picture img format-{webp,jpeg} fill-{400x225,800x450} %}` is
"format-{webp,jpeg}|fill-{400x225,800x450}"); Wagtail expands both the same way. Apps add
their own with register() in their AppConfig.ready(). A spec missing here still works: the
reader who first needs it makes it (tests/home/test_renditions.py shows none is missing).
"""

import logging

from wagtail.images import get_image_model
from wagtail.images.models import Filter

logger = logging.getLogger(__name__)

_specs = {
    # templates/blocks/image_block.html
    "image block": "width-{400,800,1200}",
}


def register(name, spec):
    _specs[name] = spec


def filter_specs():
    """Every single filter spec the templates use, expanded."""
    return sorted({one for spec in _specs.values() for one in Filter.expand_spec(spec)})


def make_renditions_now(image_id):
    """Make whatever renditions the image lacks; returns how many specs it now has."""
    image = get_image_model().objects.filter(pk=image_id).first()
    if image is None:
        return 0  # deleted since the upload
    specs = filter_specs()
    try:
        image.get_renditions(*specs)
    except Exception:
        # A file Pillow cannot read stays usable in the admin; the reader's request will say
        # so in its own log line. Only the image's id here: titles may name people.
        logger.warning("renditions: image %s could not be resized", image_id, exc_info=True)
        return 0
    return len(specs)
