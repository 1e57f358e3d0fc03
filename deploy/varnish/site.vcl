vcl 4.1;

# The edge cache in front of the app servers: it keeps what the page cache
# (home/page_cache/middleware.py, request_key and storable) may keep, by the same rules, and
# nothing else. Django has the last word: only a 200 that says `public` and sets no cookie is
# stored, for its s-maxage, and served stale for its stale-while-revalidate while one request
# refetches it. Purges arrive from the app servers through Wagtail's frontend cache
# (FRONTEND_CACHE_URL, home/page_cache/edge.py). docs/scaling.md, "The edge tier".
#
# tests/home/test_edge_varnish.py checks the lists below against home/page_cache/conf.py.

import cookie;
import std;

backend app {
    .host = "127.0.0.1";
    .port = "8000";
    .connect_timeout = 2s;
    .first_byte_timeout = 30s;
}

# Who may purge: the app servers. Add their addresses when Varnish runs on its own machine.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    call vcl_req_host;
    # Headers this file uses for its own bookkeeping never come from the client.
    unset req.http.X-Consent;
    unset req.http.X-Purge-Path;

    if (req.method == "PURGE") {
        # A second X-Forwarded-For entry means the request came through another proxy (a TLS
        # terminator on this machine): its client is not the one connected, so refuse it.
        if (client.ip !~ purgers || req.http.X-Forwarded-For ~ ",") {
            return (synth(403, "Forbidden"));
        }
        call purge_path;
        return (synth(200, "Purged"));
    }

    # Forms, the admin and everything else that is not a plain read go to the app.
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.http.Authorization) {
        return (pass);
    }
    # PAGE_CACHE_SKIP_PATHS
    if (req.url ~ "^/(admin|django-admin|documents|media|static|search|cookies|health)/") {
        return (pass);
    }

    # One visitor's own requests: the session (SESSION_COOKIE_NAME) and flash messages
    # (PAGE_CACHE_PRIVATE_COOKIES). A logged-in editor never sees a shared copy.
    cookie.parse(req.http.Cookie);
    if (cookie.isset("sessionid") || cookie.isset("messages")) {
        return (pass);
    }
    # PAGE_CACHE_VARY_COOKIES: readers share a copy only with readers of the same consent
    # choice ("group=version|group=-1"); a value of any other shape is not shared at all.
    if (cookie.isset("cookie_consent")) {
        set req.http.X-Consent = regsub(cookie.get("cookie_consent"), {"^"(.*)"$"}, "\1");
        if (req.http.X-Consent !~ "^[\w.:+-]{1,40}=[\w.:+-]{0,40}(\|[\w.:+-]{1,40}=[\w.:+-]{0,40}){0,9}$") {
            return (pass);
        }
    }

    # The query string as the reader sent it, for the page-view counts taken from this
    # cache's log (leads/conversion/edge_log.py): the campaign is read there, not by the app.
    std.log("count-query:" + regsub(req.url, "^[^?]*\??", ""));
    # Campaign and click identifiers (TRACKING_PARAMS, TRACKING_PARAM_PREFIXES) change nothing
    # on the page: dropped, so they neither split the cache nor reach the app.
    set req.url = regsuball(req.url, "(?<=[?&])(utm_[^&=]*|gclid|gbraid|wbraid|dclid|fbclid|msclkid|yclid|ttclid|twclid|li_fat_id|mc_cid|mc_eid|_ga|_gl|igshid)(=[^&]*)?(&|$)", "");
    set req.url = regsub(req.url, "[?&]+$", "");
    # PAGE_CACHE_MAX_QUERY_PARAMS (4) and PAGE_CACHE_MAX_QUERY_LENGTH (200): beyond them a
    # query string is someone's cache-busting, not a page.
    if (req.url ~ "\?([^&]*&){4}" || req.url ~ "\?.{201}") {
        return (pass);
    }
    set req.url = std.querysort(req.url);
    # Cookies are left for the app (a CSRF cookie, analytics): it decides whether the answer
    # is shareable, and only the consent choice is part of the key (vcl_hash).
    return (hash);
}

sub purge_path {
    # Like the page cache's path tokens: a path on every host, every query string.
    set req.http.X-Purge-Path = regsub(req.url, "\?.*$", "");
    if (req.http.X-Purge-Path == "/*") {
        ban("obj.http.X-Url-Path ~ ^/");
    } else {
        # Unquoted: ban() takes quotes literally. A path in a request line has no spaces.
        ban("obj.http.X-Url-Path == " + req.http.X-Purge-Path);
    }
}

sub vcl_hash {
    # The scheme, as the TLS terminator in front says (Django's SECURE_PROXY_SSL_HEADER): an
    # http:// request is redirected by the app and must never get the https:// copy.
    hash_data(req.http.X-Forwarded-Proto);
    if (req.http.X-Consent) {
        hash_data(req.http.X-Consent);
    }
    # Falls through to the built-in: the URL and the host.
}

sub vcl_backend_fetch {
    unset bereq.http.X-Consent;
}

sub vcl_backend_response {
    # What a ban compares (obj.* only, so bans are tested in the background).
    set beresp.http.X-Url-Path = regsub(bereq.url, "\?.*$", "");
    if (bereq.uncacheable) {
        return (deliver);
    }
    # Stored only when the app says every reader may share it (the page cache's own
    # `storable`): a 200, `public`, no cookie set, not private/no-store/no-cache.
    if (beresp.status != 200
        || beresp.http.Set-Cookie
        || beresp.http.Cache-Control !~ "(?i)\bpublic\b"
        || beresp.http.Cache-Control ~ "(?i)\b(private|no-store|no-cache)\b"
        || beresp.http.Vary == "*") {
        # Hit-for-miss: the next request goes to the app too, and is stored if it may be.
        set beresp.ttl = 120s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    # beresp.ttl is already s-maxage. Grace is stale-while-revalidate: a stale copy is served
    # while one request fetches the new one. Purged (banned) copies are never served.
    if (beresp.http.Cache-Control ~ "(?i)stale-while-revalidate=[0-9]+") {
        set beresp.grace = std.duration(
            regsub(beresp.http.Cache-Control, "(?i)^.*stale-while-revalidate=([0-9]+).*$", "\1s"),
            10s);
    }
    # The app says `Vary: Cookie`; here the key already holds the one cookie that matters, so
    # Varnish must not split on the rest (analytics cookies). Browsers still get the header.
    if (beresp.http.Vary ~ "(?i)\bcookie\b") {
        set beresp.http.X-Vary-Cookie = "1";
        set beresp.http.Vary = regsuball(beresp.http.Vary, "(?i)(^|,)\s*cookie\s*(?=,|$)", "");
        set beresp.http.Vary = regsub(beresp.http.Vary, "^\s*,\s*", "");
        if (beresp.http.Vary == "") {
            unset beresp.http.Vary;
        }
    }
    return (deliver);
}

sub vcl_deliver {
    if (resp.http.X-Vary-Cookie) {
        unset resp.http.X-Vary-Cookie;
        if (resp.http.Vary) {
            set resp.http.Vary = resp.http.Vary + ", Cookie";
        } else {
            set resp.http.Vary = "Cookie";
        }
    }
    unset resp.http.X-Url-Path;
    if (obj.uncacheable) {
        set resp.http.X-Edge-Cache = "PASS";
    } else if (obj.hits > 0) {
        set resp.http.X-Edge-Cache = "HIT";
    } else {
        set resp.http.X-Edge-Cache = "MISS";
    }
}
