"""REST integration: the base client other domains are reached through, and the DRF server side.

Needs the `rest` extra: `pip install django-domain-services[rest]`.
"""

from domain_services._optional import require_extra

require_extra("requests", extra="rest")
require_extra("rest_framework", extra="rest")
