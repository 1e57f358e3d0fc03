"""`{% picture %}` and `{% srcset_image %}`: Wagtail's tags, with each tag's filter specs parsed
once per process and the tag's HTML written in one pass instead of through Wagtail's Picture.

What it is for: Wagtail's nodes turn their specs into Filter objects (and each Filter its
operations, through Python's signature inspection) every time they render, about a third of a
picture's cost; a tag's specs are fixed when its template is compiled. Writing the HTML was
most of the rest: Picture.__html__ builds every attribute through `flatatt` (one `format_html`
per attribute) and asks each rendition's storage for its URL twice for the fallback image.

Same syntax, same output: the tags are parsed by Wagtail's own parser, the renditions come
from Wagtail's public `get_renditions`, and the HTML follows Picture.__html__ and
ResponsiveImage.__html__ step by step (tests/home/test_image_tags.py compares the two for
every branch). `{% picture … as name %}` still gives Wagtail's own Picture object.
Load `image_tags` instead of `wagtailimages_tags` for these two.
"""

import html
from functools import lru_cache

from django import template
from django.apps import apps
from django.utils.functional import Promise, cached_property
from django.utils.safestring import SafeString
from wagtail.images.image_operations import FormatOperation
from wagtail.images.models import Picture
from wagtail.images.shortcuts import get_renditions_or_not_found
from wagtail.images.templatetags import wagtailimages_tags

register = template.Library()


def _escaped(value):
    # django.utils.html.conditional_escape, without the SafeString it wraps each value in.
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def flat_attrs(attrs):
    """Django's `flatatt`, as a plain string: key="value" pairs, then the names of the True
    booleans, each group sorted; None and False left out; keys and values escaped."""
    pairs = []
    names = []
    for key, value in attrs.items():
        if isinstance(value, bool):
            if value:
                names.append(_escaped(key))
        elif value is not None:
            pairs.append((key, value))
    pairs.sort()
    names.sort()
    out = "".join([f' {_escaped(key)}="{_escaped(value)}"' for key, value in pairs])
    return out + "".join([f" {name}" for name in names]) if names else out


class _Rendered:
    """One rendition's URL, asked of its storage once per render, and its dimensions."""

    __slots__ = ("rendition", "url", "width")

    def __init__(self, rendition):
        self.rendition = rendition
        self.url = rendition.url
        self.width = rendition.width


def _width_srcset(rendered):
    # ResponsiveImage.get_width_srcset
    if len(rendered) == 1:
        return rendered[0].url
    return ", ".join([f"{one.url} {one.width}w" for one in rendered])


def _img_tag(first, extra):
    # AbstractRendition.img_tag, with the URL already known.
    rendition = first.rendition
    attrs = {"src": first.url, "width": first.width, "height": rendition.height}
    # The rendition's own alt text is asked for only when the tag does not give one: the
    # key's place does not matter, flatatt sorts them.
    if "alt" not in extra:
        attrs["alt"] = rendition.alt
    attrs.update(apps.get_app_config("wagtailimages").default_attrs)
    attrs.update(extra)
    return f"<img{flat_attrs(attrs)}>"


def responsive_image_html(renditions, attrs):
    """ResponsiveImage(renditions, attrs).__html__(), as `{% srcset_image %}` writes it."""
    rendered = [_Rendered(rendition) for rendition in renditions.values()]
    if len(rendered) > 1:
        attrs["srcset"] = _width_srcset(rendered)
    return _img_tag(rendered[0], attrs)


@lru_cache(maxsize=256)
def _format_groups(specs):
    """Picture.get_formats and get_fallback_format for the renditions' specs, as positions:
    ([(format, mime type, positions)] for the <source> elements, fallback positions), or None
    when there is only one format. Specs are a tag's (or its SVG-cleaned) specs: few."""
    groups = {}
    for position, spec in enumerate(specs):
        for fmt in FormatOperation.supported_formats:
            if f"format-{fmt}" in spec:
                groups.setdefault(fmt, []).append(position)
                break
    if len(groups) < 2:
        return None
    fallback = None
    for fmt in reversed(Picture.source_format_order):
        if fmt.name in groups:
            fallback = fmt.name
            break
    sources = tuple(
        (fmt.name, fmt.mime_type, tuple(groups[fmt.name]))
        for fmt in Picture.source_format_order
        if fmt.name != fallback and fmt.name in groups
    )
    return sources, tuple(groups[fallback])


def picture_html(renditions, attrs):
    """Picture(renditions, attrs).__html__(), as `{% picture %}` writes it."""
    groups = _format_groups(tuple(renditions))
    if groups is None:
        return f"<picture>{responsive_image_html(renditions, attrs)}</picture>"
    rendered = [_Rendered(rendition) for rendition in renditions.values()]
    sources, fallback_positions = groups
    sizes = attrs.get("sizes")
    parts = ["<picture>"]
    for _name, mime_type, positions in sources:
        srcset = _width_srcset([rendered[position] for position in positions])
        parts.append(f"<source{flat_attrs({'srcset': srcset, 'sizes': sizes, 'type': mime_type})}>")
    fallback = [rendered[position] for position in fallback_positions]
    if len(fallback) > 1:
        attrs["srcset"] = _width_srcset(fallback)
    parts.append(_img_tag(fallback[0], attrs))
    parts.append("</picture>")
    return "".join(parts)


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

    def render(self, context):
        if self.output_var_name:
            # `as name`: Wagtail's own object for the template to use.
            return super().render(context)
        image = self.validate_image(context)
        if not image:
            return ""
        renditions = get_renditions_or_not_found(image, self.get_filters())
        attrs = {key: value.resolve(context) for key, value in self.attrs.items()}
        # Everything in it was escaped as it was written (flat_attrs), as flatatt does.
        return SafeString(self.write_html(renditions, attrs))


class PictureNode(ParsedFiltersMixin, wagtailimages_tags.PictureNode):
    write_html = staticmethod(picture_html)


class SrcsetImageNode(ParsedFiltersMixin, wagtailimages_tags.SrcsetImageNode):
    write_html = staticmethod(responsive_image_html)


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
