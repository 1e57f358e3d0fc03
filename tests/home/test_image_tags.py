"""`{% picture %}` and `{% srcset_image %}` from home/templatetags/image_tags.py: Wagtail's tags
with each tag's filter specs parsed once per process. Same HTML as Wagtail's own, for every
image a compiled tag is given."""

import io
from unittest import mock

import pytest
from django.core.files.images import ImageFile
from django.template import TemplateSyntaxError, engines
from django.utils.safestring import mark_safe
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.images.models import Filter

PICTURE = (
    '{% picture img format-{webp,jpeg} fill-{400x225,800x450} sizes="20rem" alt=alt '
    'loading="lazy" class="card" %}'
)
SRCSET = '{% srcset_image img width-{400,800} sizes="100vw" alt=alt loading="lazy" %}'
# Every branch of Picture.__html__ and ResponsiveImage.__html__ that the one-pass writer in
# home/templatetags/image_tags.py follows: one format or several (with a fallback and sources
# in Wagtail's order), one rendition or several, booleans, None and text needing escapes.
BRANCHES = {
    "three formats": (
        '{% picture img format-{avif,webp,jpeg} fill-{400x225,800x450} sizes="20rem" '
        'alt=alt fetchpriority="high" %}'
    ),
    "one format": "{% picture img format-webp fill-{400x225,800x450} alt=alt %}",
    "no format": '{% picture img width-{400,800} sizes="100vw" alt=alt %}',
    "one rendition": '{% picture img fill-400x225 alt=alt class="a&b" %}',
    "one per format": "{% picture img format-{webp,png} fill-400x225 alt=alt %}",
    "no sizes": "{% picture img format-{webp,jpeg} fill-{400x225,800x450} alt=alt %}",
    "booleans and None": (
        "{% picture img format-{webp,jpeg} fill-{400x225,800x450} alt=alt hidden=True "
        "draggable=False data-none=None %}"
    ),
    "no alt": "{% picture img format-{webp,jpeg} fill-{400x225,800x450} %}",
    "srcset one width": "{% srcset_image img width-{400} alt=alt %}",
    "srcset booleans": "{% srcset_image img width-{400,800} alt=alt hidden=True %}",
}
PICTURE_AS = (
    "{% picture img format-{webp,jpeg} fill-{400x225,800x450} as pic %}{{ pic.formats|length }}"
)


def _template(library, tag):
    return engines["django"].from_string(f"{{% load {library} %}}{tag}")


def _image(title, colour, focal_x=None):
    buffer = io.BytesIO()
    PILImage.new("RGB", (1600, 900), colour).save(buffer, "PNG")
    image = get_image_model()(title=title, description=f"{title} described")
    image.file = ImageFile(buffer, name=f"{title}.png")
    if focal_x is not None:
        # A focal point changes which rendition a fill makes (its cache key varies with it).
        image.focal_point_x, image.focal_point_y = focal_x, 450
        image.focal_point_width, image.focal_point_height = 100, 100
    image.save()
    return image


@pytest.mark.django_db
class TestSameAsWagtail:
    @pytest.mark.parametrize("tag", [PICTURE, SRCSET, PICTURE_AS], ids=["picture", "srcset", "as"])
    def test_one_compiled_tag_renders_each_image_as_wagtails_does(self, tag):
        ours = _template("image_tags", tag)
        images = [
            _image("left", (200, 30, 30), focal_x=100),
            _image("right", (30, 200, 30), focal_x=1500),
            _image("plain", (30, 30, 200)),
        ]
        rendered = []
        for image in images:
            context = {"img": image, "alt": image.description}
            html = ours.render(context)
            assert html == _template("wagtailimages_tags", tag).render(context)
            rendered.append(html)
        # Each image got its own renditions from the one compiled tag.
        assert len(set(rendered)) == len(images) or tag == PICTURE_AS

    @pytest.mark.parametrize("tag", list(BRANCHES.values()), ids=list(BRANCHES))
    @pytest.mark.parametrize("alt", ["plain", 'Tom & Jerry\'s "<b>"', mark_safe("<i>safe</i>"), ""])
    def test_every_branch_writes_wagtails_html(self, tag, alt):
        image = _image("branch", (120, 60, 30), focal_x=300)
        context = {"img": image, "alt": alt}
        html = _template("image_tags", tag).render(context)
        assert html == _template("wagtailimages_tags", tag).render(context)

    def test_a_missing_file_writes_wagtails_not_found_html(self):
        image = _image("gone", (10, 10, 10))
        image.file.storage.delete(image.file.name)
        context = {"img": get_image_model().objects.get(pk=image.pk), "alt": "gone"}
        html = _template("image_tags", PICTURE).render(context)
        context["img"] = get_image_model().objects.get(pk=image.pk)
        assert html == _template("wagtailimages_tags", PICTURE).render(context)
        assert "not-found" in html

    def test_no_image_renders_nothing(self):
        assert _template("image_tags", PICTURE).render({"img": None}) == ""

    def test_a_bad_spec_is_refused_when_the_template_is_compiled(self):
        with pytest.raises(TemplateSyntaxError):
            _template("image_tags", "{% picture img fill-200x100! %}")


@pytest.mark.django_db
def test_a_tag_builds_its_filters_once_however_often_it_renders():
    """Relies on Wagtail's PictureNode.render asking get_filters() for its Filters: if an
    upgrade stops doing so, home/templatetags/image_tags.py parses specs on every render again."""
    template = _template("image_tags", PICTURE)
    image = _image("once", (90, 90, 90))
    template.render({"img": image, "alt": ""})  # the renditions exist from now on
    original = Filter.__init__
    with mock.patch.object(Filter, "__init__", autospec=True, side_effect=original) as built:
        for _ in range(3):
            assert "<picture>" in template.render({"img": image, "alt": ""})
    assert built.call_count == 0, (
        "Wagtail's multi-rendition nodes no longer take their Filters from get_filters(); "
        "home/templatetags/image_tags.py relies on it"
    )
