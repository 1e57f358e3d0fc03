"""`{% shared_fragment "name" [path ...] %}…{% endshared_fragment %}`: a part of a page kept in
the shared cache across requests and purged with the pages that show it.

By default the fragment depends on the request's own path (everything the page cache purges
for that page purges it too); name other paths when the fragment shows something else, e.g.
the main menu (the home page's children) depends on "/", so `{% shared_fragment "header" "/" %}`.
Only for parts that are the same for every reader of the path: nothing from the session, the
cookies, the CSRF token or the user (see home.page_cache.fragment_lookup).
"""

from django import template

from home.page_cache import fragment_lookup

register = template.Library()


class SharedFragmentNode(template.Node):
    def __init__(self, nodelist, name, depends_on):
        self.nodelist = nodelist
        self.name = name
        self.depends_on = depends_on

    def render(self, context):
        name = self.name.resolve(context)
        depends_on = [path.resolve(context) for path in self.depends_on] or None
        html, store = fragment_lookup(context.get("request"), name, depends_on)
        if html is not None:
            return html
        html = self.nodelist.render(context)
        if store is not None:
            store(html)
        return html


@register.tag
def shared_fragment(parser, token):
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(
            f"{bits[0]} needs a name: {{% {bits[0]} 'name' [path ...] %}}"
        )
    nodelist = parser.parse(("endshared_fragment",))
    parser.delete_first_token()
    return SharedFragmentNode(
        nodelist, parser.compile_filter(bits[1]), [parser.compile_filter(b) for b in bits[2:]]
    )
