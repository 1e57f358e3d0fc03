"""`{% site_url 'view-name' %}` and `{% site_static 'path' %}`: `{% url %}` and `{% static %}`
for addresses that are the same on every page of a site, worked out once per site snapshot.

What it is for: every page carries the same dozen or so such addresses (the cookie banner's
consent views, the stylesheets, icons and scripts), and Django's tags work each one out on
every render: reverse() walks the URL resolver, static() asks the manifest storage and joins
URLs, about 10-25 µs each. They depend only on the code, the deployment's static manifest and
script prefix, so the site snapshot (home/page_cache/snapshot.py) keeps them; outside a
request with a snapshot they are worked out every time, as Django's tags do.

Only a quoted name or path, no arguments: an address that varies belongs in `{% url %}`.
The output is Django's tags' own, escaped the same way.
"""

from django import template
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

from home.page_cache import memoised

register = template.Library()


def _escaped_both_ways(value):
    return value, conditional_escape(value)


# Looked up when called, not when the tag is compiled: tests count how often each is asked.
def _reversed(name):
    return reverse(name)


def _static(path):
    return static(path)


class SiteConstantNode(template.Node):
    def __init__(self, kind, argument, build):
        self.kind = kind
        self.argument = argument
        self.build = build

    def render(self, context):
        # The script prefix and URLconf are part of what reverse() gives (and of what
        # static() gives for a relative STATIC_URL); the same for every request of a site.
        key = (self.kind, self.argument, get_script_prefix(), get_urlconf())
        raw, escaped = memoised(key, lambda: _escaped_both_ways(self.build(self.argument)))
        return escaped if context.autoescape else raw


def _literal(parser, token):
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][:1] not in "'\"" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError(
            f"{bits[0]} takes one quoted argument, e.g. {{% {bits[0]} 'name' %}}"
        )
    return bits[0], bits[1][1:-1]


@register.tag
def site_url(parser, token):
    """`{% url 'name' %}` for a view name without arguments."""
    _, name = _literal(parser, token)
    return SiteConstantNode("site-url", name, _reversed)


@register.tag
def site_static(parser, token):
    """`{% static 'path' %}`."""
    _, path = _literal(parser, token)
    return SiteConstantNode("site-static", path, _static)
