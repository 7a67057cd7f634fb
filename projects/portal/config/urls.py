"""URLs of the portal: its pages, and /health for load balancers and `make demo`."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def health(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("health", health, name="health"),
    path("", include("portal.urls")),
]
