"""Security of the site and its admin.

- `csp`: the public and the admin Content-Security-Policy, and the admin nonce;
- `chooser_scripts`: the nonce for the inline script of Wagtail's chooser widgets;
- `headers`: the Permissions-Policy header;
- `lockout`: django-axes' client address and lockout page (sign-in guessing);
- `second_factor`: the admin's authenticator-app code after the password;
- `log_filters`: the filter that keeps personal data out of the logs.

Upload checks are Wagtail's own, configured in cms/settings/base.py (allowed extensions, size
limits, documents always downloaded); tests/home/test_security.py shows them.

Settings name the middleware, the axes callables, the form renderer and the log filter by
their modules' dotted paths. Logging is configured before any app is loaded, which imports this
package, so it exports only what needs no model; home/wagtail_hooks.py registers the second
factor's pages from `home.security.second_factor`.
"""

from home.security.csp import admin_csp_nonce, style_nonce_script

__all__ = ["admin_csp_nonce", "style_nonce_script"]
