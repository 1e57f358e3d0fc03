"""`{% admin_csp_nonce %}`: the nonce for an inline script or style in an admin template.

Unlike django-csp's `request.csp_nonce`, it works where no request is in the context (form
widgets, panel components), and it is empty outside the admin, whose pages carry no nonce
(see home/security/csp.py).
"""

from django import template

from home.security import admin_csp_nonce as current_nonce

register = template.Library()


@register.simple_tag
def admin_csp_nonce() -> str:
    return current_nonce()
