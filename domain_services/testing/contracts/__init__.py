"""Contract suites: one per domain interface, written once, run against every backend.

Subclass a contract in a test module and provide its fixtures (see each class's docstring);
run the subclass once with the local implementation and once with the REST client against a
live server. Both must pass the same assertions, error cases included.
"""

from domain_services.testing.contracts.devices import DevicesContract
from domain_services.testing.contracts.facilities import FacilitiesContract
from domain_services.testing.contracts.users import UsersContract

__all__ = ["DevicesContract", "FacilitiesContract", "UsersContract"]
