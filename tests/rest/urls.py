"""URLs of the catalog test service: the API under /api/v1/, docs and /health."""

from django.urls import include, path, re_path

from domain_services.integrations.rest.server.views import resource_urls
from domain_services.integrations.rest.urls import service_urls
from tests.rest import plain_views
from tests.rest.api import CategoryViewSet, ProductsOfCategoryView, ProductViewSet

api = [
    re_path(r"^categories/(?P<uuid>[^/]+)/products/?$", ProductsOfCategoryView.as_view()),
    *resource_urls("categories", CategoryViewSet),
    *resource_urls("products", ProductViewSet),
]

# Plain Django views, under the API's path and outside it (as the admin is).
plain = [
    path("api/v1/plain/broken", plain_views.broken),
    path("api/v1/plain/database-down", plain_views.database_down),
    path("api/v1/plain/body", plain_views.reads_the_body),
    path("staff/database-down", plain_views.database_down),
    path("staff/body", plain_views.reads_the_body),
]

urlpatterns = [path("api/v1/", include(api)), *plain, *service_urls()]
