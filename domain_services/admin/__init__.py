"""Admin helpers: admins that write through the domain service and show cross-domain names.

- `ServiceModelAdmin`: add, change and delete go through the domain service, so staff cannot
  bypass its rules; a service error shows on the form like any validation error. Its
  `UUIDReference` fields are searchable selects of names (`ReferenceFieldsMixin`).
- `ReferenceFieldsMixin`, `ReferenceSelect`: a reference in a change form shows the referenced
  object's label and searches the owning domain's resource (local or REST), derived from the
  reference itself.
- `ReferenceColumn`, `ReferenceColumnsMixin`: changelist columns that show a reference's label,
  resolved with one `get_many` call per page and per column, never one call per row.
"""

from domain_services.admin.reference_fields import ReferenceFieldsMixin
from domain_services.admin.reference_targets import ReferenceTarget, reference_target
from domain_services.admin.references import ReferenceColumn, ReferenceColumnsMixin
from domain_services.admin.service_admin import ServiceModelAdmin
from domain_services.admin.widgets import ReferenceSelect

__all__ = [
    "ReferenceColumn",
    "ReferenceColumnsMixin",
    "ReferenceFieldsMixin",
    "ReferenceSelect",
    "ReferenceTarget",
    "ServiceModelAdmin",
    "reference_target",
]
