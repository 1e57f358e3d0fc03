"""The admin nonce for the inline `<script>` of Wagtail's chooser widgets (page, image,
document, snippet, task).

Wagtail 8's `BaseChooser.render` writes the widget's markup and then
`<script>{render_js_init()}</script>`, joined in Python: no template or hook reaches that
script. Every form field is rendered through its BoundField, though, and Django lets a project
choose the BoundField class for all its forms through the form renderer (`FORM_RENDERER`,
`BaseRenderer.bound_field_class`). So, in admin responses only, a chooser field is rendered by
Wagtail as usual and then exactly one script gets the nonce: the one that ends the widget's own
output, and only if its body is the initialiser the widget generates for that field. Nothing
else in the widget's markup, and nothing elsewhere in the page, is touched. Should Wagtail
write choosers differently, no script gets the nonce (the browser blocks it, and
tests/home/test_security.py says which assumption broke).

"</" in the initialiser is written "<\\/" (the same string to JavaScript), so no value in it can
close the script early and have markup after it run under the nonce.
"""

from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from wagtail.admin.widgets.chooser import BaseChooser

from home.security.csp import admin_csp_nonce


def nonce_init_script(html: str, js: str, nonce: str) -> str:
    """`html` (a chooser's output) with the nonce on its closing `<script>{js}</script>`;
    `html` unchanged when it does not end with exactly that script."""
    script = f"<script>{js}</script>"
    if not html.endswith(script):
        return html
    return format_html(
        '{}<script nonce="{}">{}</script>',
        mark_safe(html[: -len(script)]),  # noqa: S308 - the widget's own markup, as Wagtail made it
        nonce,
        mark_safe(js.replace("</", "<\\/")),  # noqa: S308 - the widget's initialiser, "</" neutralised
    )


class _ChooserRender:
    """A chooser widget for one BoundField render: reads go to the widget, and render() has
    Wagtail render it before the nonce is added. It sees the exact name, value and attributes
    Django passes, so the initialiser it compares against is the one Wagtail wrote."""

    def __init__(self, chooser: BaseChooser, nonce: str):
        self.chooser = chooser
        self.nonce = nonce

    def __getattr__(self, name):
        return getattr(self.chooser, name)

    def render(self, name, value, attrs=None, renderer=None):
        html = self.chooser.render(name, value, attrs, renderer)
        js = self.chooser.render_js_init(attrs["id"], name, self.chooser.get_value_data(value))
        return nonce_init_script(html, js, self.nonce)


class ChooserScriptBoundField(BoundField):
    """Renders fields as Django does; in the admin, a chooser's initialiser gets the nonce."""

    def as_widget(self, widget=None, attrs=None, only_initial=False):
        widget = widget or self.field.widget
        nonce = admin_csp_nonce()
        if nonce and isinstance(widget, BaseChooser):
            widget = _ChooserRender(widget, nonce)
        return super().as_widget(widget, attrs, only_initial)


class FormRenderer(DjangoTemplates):
    """Django's default form renderer with ChooserScriptBoundField (FORM_RENDERER)."""

    bound_field_class = ChooserScriptBoundField
