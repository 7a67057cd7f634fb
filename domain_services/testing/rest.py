"""REST fixtures: serve a domain over pytest-django's live server and call it, for one test.

    def test_rooms_over_rest(serve_over_rest):
        facilities = serve_over_rest(Facilities)      # the derived client, installed in the
        facilities.rooms.list()                       # registry for this test only
        services.facilities.rooms.list()              # the same client

The live server (a thread of the test process) keeps serving the domain with its local
implementation, as the owning project would; only the test's own context sees the client
(`services.overriding`). The client sends a token the fixture adds to
`DOMAIN_SERVICES_API['SERVICE_TOKENS']` for the test. When the project's URLconf does not serve
the interface (its domain is not `local` in the settings the URLconf was built from), the
fixture serves the routes derived from the interface in front of it, for this test.

Needs the `rest` extra and pytest-django (for `live_server` and `settings`).
"""

from __future__ import annotations

import secrets
import types
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest

from domain_services._optional import require_extra
from domain_services.interfaces import Interface
from domain_services.registry import services

IFace = TypeVar("IFace", bound=Interface)

CALLER = "pytest"
"""The calling service the fixture's token authenticates as."""


class RestServing:
    """What the `serve_over_rest` fixture gives: call it with an interface to get its client.

    `url` is the live server's base URL and `token` a bearer token it accepts, for raw HTTP.
    """

    def __init__(self, live_server: Any, settings: Any, stack: ExitStack) -> None:
        require_extra("rest_framework", extra="rest")
        require_extra("requests", extra="rest")
        self.url: str = live_server.url
        self.token = f"{CALLER}-{secrets.token_urlsafe(24)}"
        self._settings = settings
        self._stack = stack
        api = dict(getattr(settings, "DOMAIN_SERVICES_API", None) or {})
        tokens = dict(api.get("SERVICE_TOKENS") or {})
        tokens[CALLER] = [self.token]
        settings.DOMAIN_SERVICES_API = {**api, "SERVICE_TOKENS": tokens}
        # pytest-django's live server, unlike Django's LiveServerTestCase, does not allow its
        # own host: with startproject's `ALLOWED_HOSTS = []` every call would be a 400.
        host = urlsplit(self.url).hostname
        if host not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, host]

    def __call__(
        self,
        interface: type[IFace],
        *,
        implementation: type | str | None = None,
        **client_options: Any,
    ) -> IFace:
        """Serve `interface`'s domain on the live server and return its derived REST client,
        which `services` gives for that domain in this test.

        `implementation` (a class or its dotted path) makes the domain `local` with that class
        for this test; otherwise `DOMAIN_SERVICES` must already have it `local`.
        `client_options` go to `RestClient` (timeouts, retries, ...).
        """
        from domain_services.integrations.rest.client import RestClient
        from domain_services.integrations.rest.interface_client import client_for

        if not getattr(self._settings, "STATIC_URL", None):
            # Django's live server wraps the project in its static files handler, which
            # answers every request with a 500 when STATIC_URL is not set.
            pytest.fail(
                "serve_over_rest: Django's live server needs STATIC_URL in the test settings "
                '(STATIC_URL = "static/" will do).',
                pytrace=False,
            )
        # The derived views serve the domain the interface names, so the client uses it too.
        domain = interface.domain
        if implementation is not None:
            serve_locally(self._settings, domain, implementation)
        self._check_served_here(domain, interface)
        self._route(interface)
        options = {"retries": 0, "read_timeout": 10, "deadline": 15, **client_options}
        client = client_for(interface, RestClient(domain, self.url, token=self.token, **options))
        self._stack.enter_context(services.overriding(**{domain: client}))
        return client

    @staticmethod
    def _check_served_here(domain: str, interface: type[Interface]) -> None:
        backend = services.backend(domain)
        declared = backend.interface() if backend.serves_here() else None
        if declared is None or not issubclass(declared, interface):
            pytest.fail(
                f"serve_over_rest({interface.__name__}): DOMAIN_SERVICES[{domain!r}] must be "
                f"'local' with a SERVICE class that implements {interface.__name__}, so the "
                "live server can serve it; pass implementation=<that class> to make it so "
                "for this test.",
                pytrace=False,
            )

    def _route(self, interface: type[Interface]) -> None:
        """Serve the interface's derived routes in front of the URLconf, unless it has them."""
        from django.urls import Resolver404, include, path, resolve

        from domain_services.integrations.rest.server.interface_views import interface_urls

        probe = _probe_path(interface)
        if probe is None:
            return
        try:
            resolve(probe)
            return
        except Resolver404:
            pass
        urlconf = types.ModuleType(f"serve_over_rest_{interface.domain}_urls")
        urlconf.urlpatterns = [  # type: ignore[attr-defined]
            path("api/v1/", include(interface_urls(interface))),
            path("", include(self._settings.ROOT_URLCONF)),
        ]
        self._settings.ROOT_URLCONF = urlconf


def serve_locally(settings: Any, domain: str, implementation: type | str) -> None:
    """Make `domain` `local` with `implementation` (a class or its dotted path) in
    `DOMAIN_SERVICES`, through pytest-django's `settings` (restored after the test)."""
    path = (
        implementation
        if isinstance(implementation, str)
        else f"{implementation.__module__}.{implementation.__qualname__}"
    )
    current = dict(getattr(settings, "DOMAIN_SERVICES", None) or {})
    current[domain] = {"BACKEND": "local", "SERVICE": path}
    settings.DOMAIN_SERVICES = current


def _probe_path(interface: type[Interface]) -> str | None:
    """A path the interface's API answers (its first resource's collection or operation)."""
    for spec in interface.resources.values():
        return f"/api/v1/{spec.path}/"
    for operation in interface.operations.values():
        parts = ["0" if part.startswith("{") else part for part in operation.route.split("/")]
        return "/api/v1/" + "/".join(parts)
    return None


@pytest.fixture
def serve_over_rest(live_server: Any, settings: Any) -> Iterator[RestServing]:
    """Serve a domain over the live server and point the registry at it, for this test:
    `client = serve_over_rest(Facilities)`; see `domain_services.testing.rest`."""
    with ExitStack() as stack:
        yield RestServing(live_server, settings, stack)
