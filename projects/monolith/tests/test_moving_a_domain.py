"""Moving a domain out of the monolith is a settings change: its API stops being served here."""

from __future__ import annotations

from django.urls import URLResolver

from domain_services.integrations.rest.urls import api_urls

FACILITIES_ELSEWHERE = {
    "BACKEND": "rest",
    "URL": "http://facilities.internal:8000",
    "TOKEN": "a-token-the-facilities-service-accepts",
    "INTERFACE": "org_interfaces.facilities.Facilities",
}


def served_names() -> set[str]:
    names: set[str] = set()
    for pattern in api_urls():
        inner = pattern.url_patterns if isinstance(pattern, URLResolver) else [pattern]
        names |= {p.name for p in inner if p.name}
    return names


def test_every_local_domain_is_served():
    names = served_names()
    assert {"organizations-list", "buildings-list", "rooms-list", "devices-list"} <= names
    assert {"facilities-rooms-of-building", "device-status", "device-commands"} <= names


def test_a_domain_moved_out_is_not_served_and_the_others_still_are(settings):
    settings.DOMAIN_SERVICES = {**settings.DOMAIN_SERVICES, "facilities": FACILITIES_ELSEWHERE}

    names = served_names()

    assert not {"buildings-list", "floors-list", "rooms-list"} & names
    assert "facilities-rooms-of-building" not in names
    assert {"organizations-list", "devices-list", "device-status"} <= names
