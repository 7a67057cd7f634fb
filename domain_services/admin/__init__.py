"""Admin helpers: admins that write through the domain service and show cross-domain names.

- `ServiceModelAdmin`: add, change and delete go through the domain service, so staff cannot
  bypass its rules; a service error shows on the form like any validation error.
- `references`: changelist columns that show the name of an object in another domain, resolved
  with one `get_many` call per page and per reference field, never one call per row.
"""

from domain_services.admin.references import ReferenceColumn, ReferenceColumnsMixin
from domain_services.admin.service_admin import ServiceModelAdmin

__all__ = ["ReferenceColumn", "ReferenceColumnsMixin", "ServiceModelAdmin"]
