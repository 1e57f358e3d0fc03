"""`{% picture %}` and `{% srcset_image %}`: Wagtail's tags, with each tag's filter specs parsed
once per process instead of on every render.

What it is for: Wagtail's nodes turn their specs into Filter objects (and each Filter its
operations, through Python's signature inspection) every time they render, about a third of a
picture's cost; a tag's specs are fixed when its template is compiled. Same syntax, same
output: the tags are parsed by Wagtail's own parser and rendered by Wagtail's own nodes.
Load `image_tags` instead of `wagtailimages_tags` for these two.
"""

from django import template
from django.utils.functional import cached_property
from wagtail.images.templatetags import wagtailimages_tags

register = template.Library()


class ParsedFiltersMixin:
    """For Wagtail's multi-rendition nodes: their Filter objects, built once per node.

    A Filter holds nothing about the image it is applied to (it is a dict key in Wagtail's
    own rendition lookups), so one set serves every render and thread."""

    @cached_property
    def parsed_filters(self):
        filters = super().get_filters()
        for one in filters:
            one.operations  # noqa: B018 - parsed now, kept with the Filter
        return filters

    def get_filters(self):
        return self.parsed_filters


class PictureNode(ParsedFiltersMixin, wagtailimages_tags.PictureNode):
    pass


class SrcsetImageNode(ParsedFiltersMixin, wagtailimages_tags.SrcsetImageNode):
    pass


def _parsed_once(node_class):
    def tag(parser, token):
        # Wagtail's parser checks the syntax and gives Wagtail's node; ours takes its place.
        node = wagtailimages_tags.image(parser, token)
        return node_class(
            node.image_expr,
            node.filter_specs,
            attrs=node.attrs,
            output_var_name=node.output_var_name,
        )

    return tag


register.tag("picture", _parsed_once(PictureNode))
register.tag("srcset_image", _parsed_once(SrcsetImageNode))
