"""A database or a domain service that is down is a 503 page that says so, not a 500."""

from __future__ import annotations

from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from domain_services import Unavailable

RETRY_AFTER_SECONDS = 5


class ServiceUnavailableMiddleware:
    """`Unavailable` (a domain service) or a lost database connection: a 503 with Retry-After."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, Unavailable | OperationalError | InterfaceError):
            return None
        response = TemplateResponse(request, "portal/unavailable.html", status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response.render()
