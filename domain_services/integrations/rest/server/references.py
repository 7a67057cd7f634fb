"""`POST /api/v1/references/protecting`: may another domain delete these of its objects?

A domain served elsewhere that lists this one in its `DOMAIN_SERVICES[...]['REFERS_TO']` asks
here before it deletes objects of a model we refer to: every object the deletion would remove,
its cascade included, in one request. The answer names our PROTECT references that still point
at any of them (none: the deletion may go ahead).

    POST {"targets": {"facilities.Room": ["<uuid>", ...]}}
    200  {"protected_by": [{"target": "facilities.Room", "uuid": "<uuid>",
                            "referrer": "devices.Device.room", "count": 2}]}
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from domain_services.integrations.rest.server.fields import StrictUUIDField
from domain_services.integrations.rest.server.schema import field_schema
from domain_services.integrations.rest.server.views import ErrorSerializer, validated_input
from domain_services.reference_policies import protecting_references

TARGET_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$"
MAX_UUIDS = 10_000  # per request, all targets together
MAX_TARGETS = 100


_UUID_LIST = serializers.ListField(child=StrictUUIDField(), max_length=MAX_UUIDS)


@extend_schema_field(
    {
        "type": "object",
        # patternProperties rather than propertyNames: what generators of test data follow.
        "patternProperties": {TARGET_PATTERN: field_schema(_UUID_LIST)},
        "additionalProperties": False,
        "maxProperties": MAX_TARGETS,
    }
)
class TargetsField(serializers.DictField):
    """Model label -> UUIDs; documented with the key pattern the validation below enforces."""


class ProtectingQuerySerializer(serializers.Serializer):
    """`{"targets": {"facilities.Room": [uuid, ...]}}`: the objects about to be deleted."""

    targets = TargetsField(
        child=serializers.ListField(child=StrictUUIDField(), max_length=MAX_UUIDS),
        help_text="Model label ('domain.Model') -> UUIDs of the objects about to be deleted.",
    )

    def validate_targets(self, value: dict[str, list[Any]]) -> dict[str, list[Any]]:
        if len(value) > MAX_TARGETS:
            raise serializers.ValidationError(f"At most {MAX_TARGETS} models per request.")
        bad = [str(label)[:100] for label in value if not re.fullmatch(TARGET_PATTERN, label)]
        if bad:
            raise serializers.ValidationError(f"Keys must look like 'domain.Model', not {bad}.")
        if sum(map(len, value.values())) > MAX_UUIDS:
            raise serializers.ValidationError(f"At most {MAX_UUIDS} UUIDs per request.")
        return value


class ProtectedReferenceSerializer(serializers.Serializer):
    """One PROTECT reference that blocks the deletion of one object."""

    target = serializers.CharField()
    uuid = serializers.UUIDField()
    referrer = serializers.CharField(help_text="'app.Model.field' of the referring model.")
    count = serializers.IntegerField(min_value=1, help_text="How many rows refer to it.")


class ProtectingAnswerSerializer(serializers.Serializer):
    """The PROTECT references that point at any of the objects asked about."""

    protected_by = ProtectedReferenceSerializer(many=True)


@extend_schema(
    request=ProtectingQuerySerializer,
    responses={200: ProtectingAnswerSerializer, 400: ErrorSerializer, 401: ErrorSerializer},
    summary="PROTECT references to another domain's objects",
)
@api_view(["POST"])
def protecting_references_view(request: Request) -> Response:
    query = validated_input(ProtectingQuerySerializer, request.data)
    found = protecting_references(query["targets"])
    return Response({"protected_by": ProtectedReferenceSerializer(found, many=True).data})
