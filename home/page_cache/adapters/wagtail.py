"""The page cache's reach into Wagtail beyond its public API: handing a page request the Site,
site root paths and site settings the site snapshot already holds, in the places where
Wagtail's own lookups (Site.find_for_request, page URLs, BaseSiteSetting.for_request) look
for what they found earlier in the same request. Wagtail has no public way to give a request
these, and without them each page request costs their queries again."""


def give_site(request, site):
    # Site.find_for_request returns request._wagtail_site when the request has one.
    request._wagtail_site = site


def give_site_root_paths(request, root_paths):
    # Page URL methods given the request (get_url, get_url_parts, relative_url) keep
    # Site.get_site_root_paths() on request._wagtail_cached_site_root_paths.
    request._wagtail_cached_site_root_paths = list(root_paths)


def give_site_setting(request, site_setting):
    # BaseSiteSetting.for_request returns what the request holds under the model's
    # get_cache_attr_name(), and gives the instance the request as `_request` so the page
    # URLs it makes (get_page_url) use the request's root paths too.
    site_setting._request = request
    setattr(request, type(site_setting).get_cache_attr_name(), site_setting)
