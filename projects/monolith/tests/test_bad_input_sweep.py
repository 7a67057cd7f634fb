"""Every documented endpoint answers bad input with a 4xx that names the problem, never a 500.

The endpoints come from the OpenAPI schema, so a new endpoint is swept without editing this.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.test import Client

from domain_services.project_settings import DEV_SERVICE_TOKEN

pytestmark = pytest.mark.django_db(databases="__all__")

AUTH = {"HTTP_AUTHORIZATION": f"Bearer {DEV_SERVICE_TOKEN}"}
WRONG_TYPE = {
    "string": {"a": 1},
    "integer": "not-a-number",
    "boolean": "maybe",
    "object": ["not", "an", "object"],
    "array": "not-a-list",
}


def schema() -> dict:
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


SCHEMA = None


def operations():
    global SCHEMA
    if SCHEMA is None:
        from django.test.utils import setup_test_environment  # noqa: F401

        SCHEMA = schema()
    for path, methods in SCHEMA["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def request_fields(operation) -> dict:
    ref = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    name = ref.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
    return SCHEMA["components"]["schemas"].get(name, {}).get("properties", {}) if name else {}


def call(client, method, path, body=None, raw=None, **extra):
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    kwargs = {"content_type": "application/json"} if data is not None else {}
    return (
        getattr(client, method)(path, data, **kwargs, **extra)
        if data is not None
        else getattr(client, method)(path, **extra)
    )


def concrete(path, value=None):
    """The path with every `{parameter}` (all UUIDs here) filled in."""
    return re.sub(r"\{[a-z_]+\}", lambda _: str(value or uuid.uuid4()), path)


def assert_names(response, name):
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    body = response.json()
    assert "code" in body and "detail" in body, body
    if name:
        assert name in json.dumps(body), (name, body)


@pytest.fixture(scope="module")
def all_operations(django_db_blocker):
    with django_db_blocker.unblock():
        return list(operations())


def test_the_sweep_covers_every_api(all_operations):
    paths = {path for path, _, _ in all_operations}
    for expected in ("/api/v1/devices/", "/api/v1/rooms/", "/api/v1/people/"):
        assert expected in paths
    assert len(all_operations) >= 39  # 7 resources x 5, plus the domain endpoints


def test_anonymous_requests_are_refused_everywhere(client, all_operations):
    for path, method, _ in all_operations:
        response = call(
            client, method, concrete(path), body={} if method in ("post", "patch") else None
        )
        assert response.status_code in (401, 403), (method, path, response.status_code)
        assert "results" not in response.json()


def test_health_and_schema_are_public(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/health").status_code in (200, 503)
    assert client.get("/api/docs/").status_code == 200


def test_a_bad_bearer_token_is_401(client):
    response = client.get("/api/v1/devices/", HTTP_AUTHORIZATION="Bearer wrong")
    assert response.status_code == 401


def test_malformed_and_unknown_uuids_in_paths(client, all_operations):
    for path, method, _ in all_operations:
        if "{uuid}" not in path:
            continue
        body = {} if method in ("post", "patch") else None
        bad = call(client, method, path.replace("{uuid}", "not-a-uuid"), body=body, **AUTH)
        assert_names(bad, "uuid")
        missing = call(client, method, concrete(path), body=body, **AUTH)
        assert missing.status_code == 404, (method, path, missing.status_code)


def test_bad_list_parameters(client, all_operations):
    for path, method, operation in all_operations:
        if method != "get" or path[-7:] == "{uuid}/" or path.endswith("}/"):
            continue
        target = concrete(path)
        for query, name in [
            ("page=abc", "page"),
            ("page=0", "page"),
            ("page_size=100000", "page_size"),
            ("page_size=-1", "page_size"),
        ]:
            response = client.get(f"{target}?{query}", **AUTH)
            if response.status_code == 404:  # endpoints under an unknown parent answer 404 first
                continue
            assert_names(response, name)
        params = {p["name"] for p in operation.get("parameters", [])}
        if "ordering" in params:
            assert_names(client.get(f"{target}?ordering=nope", **AUTH), "ordering")
        if "page" in params:
            assert_names(client.get(f"{target}?colour=red", **AUTH), "colour")
        for parameter in operation.get("parameters", []):
            name, spec = parameter["name"], _resolve(parameter.get("schema", {}))
            if name in ("page", "page_size", "ordering", "uuid"):
                continue
            response = client.get(f"{target}?{name}=%7B%22%24ne%22%3A1%7D", **AUTH)
            if spec.get("format") == "uuid" or spec.get("type") == "integer" or "enum" in spec:
                assert_names(response, name)
            elif response.status_code == 200:  # free text: it is just text that matches nothing
                assert response.json()["count"] == 0
            else:  # or a format the parameter rejects (a slug), named
                assert_names(response, name)


def test_bad_bodies(client, all_operations):
    creates_with_references = set()
    for path, method, operation in all_operations:
        if method not in ("post", "patch"):
            continue
        target = concrete(path)
        if method == "patch" or "{uuid}" in path:
            continue  # bodies for an existing object: tests/test_device_live.py, the contracts
        assert_names(call(client, method, target, raw="{not json", **AUTH), None)
        assert_names(call(client, method, target, body=["a", "list"], **AUTH), None)
        assert_names(call(client, method, target, body={"colour": "red"}, **AUTH), "colour")
        for name, spec in request_fields(operation).items():
            spec = _resolve(spec)
            wrong = WRONG_TYPE.get(spec.get("type"), {"a": 1})
            if spec.get("format") == "uuid":
                wrong = "not-a-uuid"
            response = call(client, method, target, body={name: wrong}, **AUTH)
            assert_names(response, name)
            if spec.get("format") == "uuid" and "201" in operation["responses"]:
                # A create with well-formed references to nothing: a 400 naming a reference
                # field. (Lookups and the reference check take UUIDs of anything.)
                fields = request_fields(operation)
                full = {n: _valid(s) for n, s in fields.items()}
                response = call(client, method, target, body=full, **AUTH)
                assert_names(response, None)
                uuid_fields = {n for n, s in fields.items() if _resolve(s).get("format") == "uuid"}
                assert set(response.json()["errors"]) & uuid_fields, response.json()
                creates_with_references.add(path)
    # Buildings, floors, rooms, devices, memberships at least.
    assert len(creates_with_references) >= 4, creates_with_references


def test_lookup_limits(client, all_operations):
    for path, method, _ in all_operations:
        if not path.endswith("lookup/"):
            continue
        assert_names(call(client, method, path, body={"uuids": "x"}, **AUTH), "uuids")
        too_many = [str(uuid.uuid4()) for _ in range(1001)]
        assert_names(call(client, method, path, body={"uuids": too_many}, **AUTH), "uuids")
        ok = call(client, method, path, body={"uuids": [str(uuid.uuid4())]}, **AUTH)
        assert ok.status_code == 200 and ok.json()["results"] == []


def _resolve(spec):
    for combinator in ("allOf", "oneOf", "anyOf"):
        if combinator in spec:
            spec = spec[combinator][0]
    if "$ref" in spec:
        spec = SCHEMA["components"]["schemas"][spec["$ref"].rsplit("/", 1)[-1]]
    return spec


def _valid(spec):
    spec = _resolve(spec)
    if spec.get("format") == "uuid":
        return str(uuid.uuid4())
    if spec.get("type") == "integer":
        return 1
    if spec.get("type") == "number":
        return 1.5
    if spec.get("type") == "boolean":
        return True
    if "enum" in spec:
        return spec["enum"][0]
    if spec.get("format") == "email":
        return "someone@example.com"
    return "0000000000000ABC" if spec.get("maxLength") == 23 else "x"


@pytest.fixture
def existing(make_site):
    """One object of each resource, by the collection path of its API."""
    from domain_services import services

    site = make_site()
    person = services.users.people.create(
        username="p", full_name="P", organization=site.organization
    )
    device = services.devices.register_device(
        eui="0000000000000001", name="D", room=site.rooms[0], organization=site.organization
    )
    threshold = services.devices.thresholds.create(
        room=site.rooms[0], reading="temperature", minimum=15.0, maximum=25.0
    )
    return {
        "/api/v1/thresholds/": threshold.uuid,
        "/api/v1/organizations/": site.organization,
        "/api/v1/people/": person.uuid,
        "/api/v1/buildings/": site.building,
        "/api/v1/floors/": site.floor,
        "/api/v1/rooms/": site.rooms[0],
        "/api/v1/devices/": device.uuid,
    }


def test_bad_bodies_on_existing_objects(client, all_operations, existing):
    for path, method, operation in all_operations:
        if "{uuid}" not in path or method not in ("post", "patch"):
            continue
        collection = path.split("{uuid}")[0]
        target = path.replace("{uuid}", str(existing[collection]))
        assert_names(call(client, method, target, raw="{not json", **AUTH), None)
        assert_names(call(client, method, target, body=["a", "list"], **AUTH), None)
        assert_names(call(client, method, target, body={"colour": "red"}, **AUTH), "colour")
        for name, spec in request_fields(operation).items():
            spec = _resolve(spec)
            wrong = (
                "not-a-uuid"
                if spec.get("format") == "uuid"
                else WRONG_TYPE.get(spec.get("type"), {"a": 1})
            )
            others = {n: _valid(s) for n, s in request_fields(operation).items() if n != name}
            body = {**others, name: wrong} if method == "post" else {name: wrong}
            assert_names(call(client, method, target, body=body, **AUTH), name)


# -- hostile bodies, strict types, JSON errors everywhere (every body-taking operation) ---------

PAST_THE_STACK = 1_000  # Python's JSON decoder runs out of stack at about 945 levels


def body_operations(all_operations, existing=None):
    """(method, concrete path, operation) of every operation that takes a JSON body."""
    for path, method, operation in all_operations:
        if "requestBody" not in operation:
            continue
        if "{uuid}" in path and existing is not None:
            collection = path.split("{uuid}")[0]
            target = path.replace("{uuid}", str(existing.get(collection, uuid.uuid4())))
        else:
            target = concrete(path)
        yield method, target, operation


def test_a_body_over_the_upload_limit_is_413_everywhere(client, all_operations, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    for method, target, _ in body_operations(all_operations):
        raw = '{"name": "' + "x" * 1_001 + '"}'
        response = call(client, method, target, raw=raw, **AUTH)
        assert response.status_code == 413, (method, target, response.status_code)
        assert response.json()["code"] == "too_large"


def test_json_nested_too_deep_is_400_naming_the_body_or_field(client, all_operations, existing):
    for method, target, operation in body_operations(all_operations, existing):
        deep = "[" * PAST_THE_STACK + "]" * PAST_THE_STACK
        assert_names(call(client, method, target, raw=deep, **AUTH), "body")
        for name in list(request_fields(operation))[:1]:
            raw = '{"' + name + '": ' + deep + "}"
            response = call(client, method, target, raw=raw, **AUTH)
            assert list(response.json().get("errors", {})) == [name], (method, target, response)


def test_a_lone_surrogate_is_400_naming_where_it_is(client, all_operations, existing):
    for method, target, operation in body_operations(all_operations, existing):
        response = call(client, method, target, raw='{"\\ud800": 1}', **AUTH)
        assert_names(response, "\\\\ud800")
        response.content.decode("utf-8")  # the error body itself is valid UTF-8
        for name, spec in request_fields(operation).items():
            if _resolve(spec).get("type") != "string":
                continue
            response = call(client, method, target, raw='{"' + name + '": "a\\udfffb"}', **AUTH)
            assert list(response.json().get("errors", {})) == [name], (method, target, name)


def test_false_and_integers_are_not_uuids_anywhere(client, all_operations, existing):
    checked = 0
    for method, target, operation in body_operations(all_operations, existing):
        for name, spec in request_fields(operation).items():
            spec = _resolve(spec)
            if spec.get("format") == "uuid":
                values = [False, True, 0, 1]
            elif spec.get("type") == "array" and _resolve(spec["items"]).get("format") == "uuid":
                values = [[False], [0]]
            else:
                continue
            for value in values:
                response = call(client, method, target, body={name: value}, **AUTH)
                assert response.status_code == 400, (method, target, name, value)
                assert any(k.split(".")[0] == name for k in response.json()["errors"]), (
                    method,
                    target,
                    name,
                    response.json(),
                )
                checked += 1
    assert checked >= 40  # every lookup and every reference field


def test_a_number_is_not_a_string_anywhere(client, all_operations, existing):
    for method, target, operation in body_operations(all_operations, existing):
        for name, spec in request_fields(operation).items():
            spec = _resolve(spec)
            if spec.get("type") == "string" and "format" not in spec:
                response = call(client, method, target, body={name: 12}, **AUTH)
                assert_names(response, name)


@pytest.mark.parametrize(
    "path", ["/api/", "/api/v1/nothing", "/api/v1/devices/x/y/z", "/api/v2/devices/"]
)
def test_unknown_api_urls_are_json_404s(client, path):
    response = client.get(path, **AUTH)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_unsupported_method_is_a_json_405_on_every_path(client, all_operations):
    paths = {path for path, _, _ in all_operations}
    for path in paths:
        methods = {method for p, method, _ in all_operations if p == path}
        unsupported = next(m for m in ("put", "patch", "delete", "post") if m not in methods)
        response = call(client, unsupported, concrete(path), body={}, **AUTH)
        assert response.status_code == 405, (unsupported, path, response.status_code)
        assert response.json()["code"] == "method_not_allowed"
    # Plain Django views too: /health is no DRF view.
    response = client.post("/health", **AUTH)
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_the_root_paths_are_no_debug_page(client, settings):
    settings.DEBUG = True
    index = client.get("/")
    root = client.get("/api/v1/", **AUTH)

    assert index.status_code == 200 and index.json()["api"].endswith("/api/v1/")
    assert root.status_code == 200
    assert set(root.json()["resources"]) == {
        "organizations",
        "people",
        "buildings",
        "floors",
        "rooms",
        "devices",
        "thresholds",
    }
    assert client.get("/api/", **AUTH).json()["code"] == "not_found"


def test_every_page_parameter_documents_the_bounds_the_server_enforces(client, all_operations):
    paged = 0
    for path, method, operation in all_operations:
        parameters = {p["name"]: p for p in operation.get("parameters", [])}
        if "page_size" not in parameters:
            continue
        page, size = parameters["page"]["schema"], parameters["page_size"]["schema"]
        assert page["minimum"] == 1 and size["minimum"] == 1, (method, path)
        target = concrete(path.replace("{organization_uuid}", "{uuid}"))
        for query in (f"page_size={size['maximum'] + 1}", "page_size=0", "page=0"):
            response = client.get(f"{target}?{query}", **AUTH)
            if response.status_code != 404:
                assert_names(response, query.split("=")[0])
        paged += 1
    assert paged >= 7  # six resources and the members of an organization


def test_path_parameters_naming_objects_are_uuids(all_operations):
    for path, method, operation in all_operations:
        for parameter in operation.get("parameters", []):
            name = parameter["name"]
            if parameter["in"] == "path" and (name == "uuid" or name.endswith("_uuid")):
                assert parameter["schema"].get("format") == "uuid", (method, path, name)


def test_search_takes_text_not_nul(client, all_operations):
    searched = 0
    for path, _, operation in all_operations:
        if "search" not in {p["name"] for p in operation.get("parameters", [])}:
            continue
        assert_names(client.get(f"{path}?search=a%00b", **AUTH), "search")
        assert client.get(f"{path}?search=acme", **AUTH).status_code == 200
        searched += 1
    assert searched >= 3
