"""The portal's models, as its views, forms and templates import them.

Which ones is decided once, by `settings.PORTAL_MODELS`: the portal's own models on its
database (`portal_legacy.models`), or service-backed models on the users, facilities and
devices domains (`portal_services.models`). Both offer the same names, fields, relations and
methods, so nothing that imports this module changes with the mode.
"""

from django.conf import settings

if settings.PORTAL_MODELS == "services":
    from portal_services.models import Building, Device, Floor, Organization, Room
else:
    from portal_legacy.models import Building, Device, Floor, Organization, Room  # type: ignore[assignment]

__all__ = ["Building", "Device", "Floor", "Organization", "Room"]
