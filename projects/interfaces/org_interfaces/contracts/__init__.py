"""Contract suites: one per domain interface, written once, run against every backend.

Subclass a contract in a test module and provide its fixtures (see each class's docstring);
run the subclass once with the local implementation and once with the REST client against a
live server. Both must pass the same assertions, error cases included.
"""

from org_interfaces.contracts.devices import DevicesContract
from org_interfaces.contracts.facilities import FacilitiesContract
from org_interfaces.contracts.users import UsersContract

__all__ = ["DevicesContract", "FacilitiesContract", "UsersContract"]
