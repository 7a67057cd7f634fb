"""Each domain's own contract: its operations and rules, run against every backend.

What every interface promises is the generic `domain_services.testing.contract.InterfaceContract`;
these suites hold what only the domain knows. Subclass one in a test module and provide its
fixtures (see each class's docstring), once with the local implementation and once with the
REST client (`serve_over_rest`). Both must pass the same assertions, error cases included.
"""

from org_interfaces.contracts.devices import DevicesContract
from org_interfaces.contracts.facilities import FacilitiesContract
from org_interfaces.contracts.users import UsersContract

__all__ = ["DevicesContract", "FacilitiesContract", "UsersContract"]
