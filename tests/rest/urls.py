"""URLs of the catalog test service: the API under /api/v1/, docs and /health."""

from django.urls import include, path, re_path

from domain_services.integrations.rest.server.views import resource_urls
from domain_services.integrations.rest.urls import service_urls
from tests.rest.api import CategoryViewSet, ProductsOfCategoryView, ProductViewSet

api = [
    re_path(r"^categories/(?P<uuid>[^/]+)/products/?$", ProductsOfCategoryView.as_view()),
    *resource_urls("categories", CategoryViewSet),
    *resource_urls("products", ProductViewSet),
]

urlpatterns = [path("api/v1/", include(api)), *service_urls()]
