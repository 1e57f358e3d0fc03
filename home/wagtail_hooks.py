"""The site shell's Wagtail registrations: the cookie consent screens, the admin's style-nonce
script, the second factor's pages, the page cache's query declarations and the offline contact
copy's page hook. What they do lives
in home/consent/, home/security/ and home/offline.py.
"""

from wagtail import hooks
from wagtail_modeladmin.options import modeladmin_register

from home import offline
from home.consent.admin import CookieConsentGroup
from home.page_cache import declare_page_query
from home.security import style_nonce_script
from home.security.second_factor import account_menu_item, admin_urls

modeladmin_register(CookieConsentGroup)

# Loaded before the editors' own scripts, which create the <style> elements it gives the nonce.
hooks.register("insert_global_admin_js", style_nonce_script)

# The second factor's own pages, and a link to them on the account page.
hooks.register("register_admin_urls", admin_urls)
hooks.register("register_account_menu_item", account_menu_item)

# Pages see only the query parameters they declare (home/page_cache/query.py).
hooks.register("before_serve_page", declare_page_query)

# Pages refresh the 503 page's copy of the firm's number when it changed (home/offline.py).
hooks.register("before_serve_page", offline.remember_served_page)
