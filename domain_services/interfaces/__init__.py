"""Declaring a domain's public interface once: `Interface`, `resource`, `query`, `command`.

A domain's interface lives in the domain's own code (see `declaration`); from it the library
derives the REST server and client, an in-memory fake and the contract tests. `Resource` is the
protocol every resource implementation follows (a `ModelService` in process, a
`ResourceClient` over HTTP).
"""

from domain_services.interfaces.declaration import (
    Field,
    Interface,
    OperationSpec,
    ResourceSpec,
    command,
    query,
    resource,
)
from domain_services.interfaces.resource import Resource

__all__ = [
    "Field",
    "Interface",
    "OperationSpec",
    "Resource",
    "ResourceSpec",
    "command",
    "query",
    "resource",
]
