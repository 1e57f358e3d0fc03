"""Views that stand in for what later apps will do (a form with a CSRF token, a flash message
after a POST, a personal greeting), mounted in front of the real site for the page-cache tests."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template import engines
from django.urls import include, path
from django.views.decorators.cache import never_cache

from cms.urls import urlpatterns as site_urlpatterns
from home.page_cache import mark_uncacheable, reads_query

RENDERS = {"count": 0}


def _counted(text):
    RENDERS["count"] += 1
    return HttpResponse(f"{text} render={RENDERS['count']}")


def with_csrf_form(request):
    template = engines["django"].from_string(
        '<form method="post">{% csrf_token %}<button>Send</button></form>'
    )
    return HttpResponse(template.render({}, request))


def sets_cookie(request):
    response = _counted("cookie")
    response.set_cookie("seen", "1")
    return response


@never_cache
def private_view(request):
    return _counted("private")


def marked(request):
    mark_uncacheable(request, "lead-result")
    return _counted("marked")


def plain(request):
    return _counted("plain")


@reads_query("a")
def echo(request):
    return HttpResponse(f"GET={request.GET.urlencode()} path={request.get_full_path()}")


def whoami(request):
    name = request.user.username if request.user.is_authenticated else "anonymous"
    flashes = " ".join(str(message) for message in messages.get_messages(request))
    return HttpResponse(f"<p>Hello {name}</p><p>{flashes}</p>")


def flash_then_redirect(request):
    messages.success(request, "Thank you, Alice: we will call 07700 900123.")
    return redirect("/t/whoami/", permanent=False)


urlpatterns = [
    path("t/csrf/", with_csrf_form),
    path("t/cookie/", sets_cookie),
    path("t/private/", private_view),
    path("t/marked/", marked),
    path("t/plain/", plain),
    path("t/echo/", echo),
    path("t/whoami/", whoami),
    path("t/flash/", flash_then_redirect),
    path("", include(site_urlpatterns)),
]
