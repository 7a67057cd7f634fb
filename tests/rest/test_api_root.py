"""`/api/v1/` lists the API's resources, read from the URL patterns; `/` says where things are."""

from __future__ import annotations

import pytest
from django.urls import include, path

from domain_services.integrations.rest.server.views import resource_urls
from domain_services.integrations.rest.urls import service_urls
from tests.rest.api import CategoryViewSet, ProductViewSet
from tests.rest.settings_extra import SERVICE_TOKEN

pytestmark = pytest.mark.django_db

AUTH = {"HTTP_AUTHORIZATION": f"Bearer {SERVICE_TOKEN}"}

# A project that serves one more resource, under a longer path: the root lists it unprompted.
urlpatterns = [
    path(
        "api/v1/",
        include(
            [
                *resource_urls("categories", CategoryViewSet),
                *resource_urls("products", ProductViewSet),
                *resource_urls("archive/products", ProductViewSet),
            ]
        ),
    ),
    *service_urls(),
]


def test_the_api_root_lists_every_resource_with_its_url(client):
    response = client.get("/api/v1/", **AUTH)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["resources"] == {
        "categories": "http://testserver/api/v1/categories/",
        "products": "http://testserver/api/v1/products/",
    }
    assert body["schema"] == "http://testserver/api/schema/"
    assert body["docs"] == "http://testserver/api/docs/"


def test_the_list_comes_from_the_url_patterns(client, settings):
    settings.ROOT_URLCONF = __name__

    resources = client.get("/api/v1/", **AUTH).json()["resources"]

    assert resources["archive/products"] == "http://testserver/api/v1/archive/products/"
    assert set(resources) == {"categories", "products", "archive/products"}


def test_every_listed_url_answers(client):
    for url in client.get("/api/v1/", **AUTH).json()["resources"].values():
        assert client.get(url, **AUTH).status_code == 200, url


def test_the_api_root_needs_credentials(client):
    response = client.get("/api/v1/")

    assert response.status_code == 401
    assert "resources" not in response.json()


def test_the_api_root_refuses_parameters_it_does_not_take(client):
    response = client.get("/api/v1/?page=2", **AUTH)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["page"]


def test_the_service_index_links_its_entry_points_and_nothing_else(client):
    response = client.get("/")

    assert response.status_code == 200
    assert response.json() == {
        "api": "http://testserver/api/v1/",
        "schema": "http://testserver/api/schema/",
        "docs": "http://testserver/api/docs/",
        "health": "http://testserver/health",
    }


def test_the_api_root_is_in_the_schema(client):
    schema = client.get("/api/schema/?format=json").json()

    assert "/api/v1/" in schema["paths"]
