"""The OpenAPI schema says what the server does: derived from the same declarations, in one place.

drf-spectacular documents what a serializer declares; a few things the servers of this library
do are not serializers, so they are added here:

- `field_schema(field)`: the JSON Schema of one serializer field, as drf-spectacular writes it
  for a request body (type, format, bounds, pattern, enum), for query parameters declared as
  serializer fields (the filters of a `ResourceViewSet`).
- Free text refuses the NUL character (DRF's `CharField` does, and PostgreSQL cannot store it):
  said with a `pattern` on every string of a request that has no format, enum or pattern.
- `document_api` (a `POSTPROCESSING_HOOKS` entry, set by `rest_framework_settings`): request
  bodies are closed (`additionalProperties: false`, since `validated_input` refuses unknown
  fields); a path parameter named `uuid` is a UUID (the `resource_urls` convention; a malformed
  one is a 400 naming `uuid`); and every operation documents the errors it can answer, in the
  `Error` shape: 400 (when it takes parameters or a body), 401 and 403 (credentials), 404 (when
  its path names an object), 413 and 415 (when it takes a body), 414 (when it takes query
  parameters: the web server's limit on the request line), 503 (a database or peer down).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

ERROR_COMPONENT = "Error"
# Any text but NUL, as DRF's CharField takes it.
TEXT_PATTERN = r"^[^\x00]*$"

_ERROR_DESCRIPTIONS = {
    "400": "Invalid input: `errors` names each field (or `body`, or the query parameter).",
    "401": "No credentials, or credentials that are not valid.",
    "403": "The credentials do not allow this.",
    "404": "The object named in the path does not exist.",
    "413": "The body is larger than the server accepts.",
    "414": "The URL is longer than the web server accepts (its own answer, not JSON).",
    "415": "The body is not JSON.",
    "503": "A database or a service this one depends on is unavailable; see `Retry-After`.",
}


def field_schema(field: serializers.Field) -> dict[str, Any]:
    """The JSON Schema drf-spectacular gives `field` in a request body."""
    # AutoSchema's field mapping is not public API, but it is the one the request bodies go
    # through, so a query parameter and a body field declared alike are documented alike.
    auto = AutoSchema()
    schema: dict[str, Any] = auto._map_serializer_field(field, "request")
    auto._insert_field_validators(field, schema)
    schema = {key: value for key, value in schema.items() if not key.startswith("x-spec")}
    _refuse_nul(schema)
    return schema


def document_api(
    result: dict[str, Any], generator: Any = None, request: Any = None, public: bool = True
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: closed bodies, UUID path parameters, error answers."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            _type_uuid_path(operation)
            has_body = "requestBody" in operation
            if has_body:
                _close_request_body(operation["requestBody"], components)
            _document_errors(operation, has_body, components)
    return result


def _type_uuid_path(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter.get("name") == "uuid":
            parameter["schema"] = {"type": "string", "format": "uuid"}
            parameter.setdefault("description", "The object's UUID.")


def _close_request_body(body: dict[str, Any], components: dict[str, Any]) -> None:
    for media in body.get("content", {}).values():
        schema = media.get("schema", {})
        ref = schema.get("$ref", "")
        target = components.get(ref.rsplit("/", 1)[-1]) if ref else schema
        if isinstance(target, dict) and target.get("type", "object") == "object":
            target.setdefault("additionalProperties", False)
            _refuse_nul(target)


def _refuse_nul(schema: Any) -> None:
    """Give every free-text string in `schema` (nested ones included) the `TEXT_PATTERN`."""
    if isinstance(schema, list):
        for item in schema:
            _refuse_nul(item)
        return
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "string" and not {"format", "enum", "pattern"} & set(schema):
        schema["pattern"] = TEXT_PATTERN
    for value in schema.get("properties", {}).values():
        _refuse_nul(value)
    for key in ("items", "additionalProperties", "oneOf", "anyOf", "allOf"):
        _refuse_nul(schema.get(key))


def _document_errors(operation: dict[str, Any], has_body: bool, components: Any) -> None:
    parameters = operation.get("parameters", [])
    statuses = ["401", "403", "503"]
    if parameters or has_body:
        statuses.append("400")
    if any(parameter.get("in") == "path" for parameter in parameters):
        statuses.append("404")
    if any(parameter.get("in") == "query" for parameter in parameters):
        statuses.append("414")
    if has_body:
        statuses += ["413", "415"]
    responses = operation["responses"]
    for status in sorted(statuses):
        if status in responses:
            continue
        response: dict[str, Any] = {"description": _ERROR_DESCRIPTIONS[status]}
        if ERROR_COMPONENT in components and status != "414":
            ref = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
            response["content"] = {"application/json": {"schema": ref}}
        if status == "503":
            response["headers"] = {
                "Retry-After": {
                    "schema": {"type": "integer", "minimum": 1},
                    "description": "Seconds to wait before retrying.",
                }
            }
        responses[status] = response
