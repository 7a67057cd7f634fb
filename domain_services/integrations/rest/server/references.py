"""`POST /api/v1/references/protecting`: may another domain delete one of its objects?

A domain served elsewhere that lists this one in its `DOMAIN_SERVICES[...]['REFERS_TO']` asks
here before it deletes an object of a model we refer to; the answer names our PROTECT references
that still point at it (none: the deletion may go ahead).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from domain_services.integrations.rest.server.views import ErrorSerializer, validated_input
from domain_services.reference_policies import protecting_references

TARGET_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$"


class ProtectingQuerySerializer(serializers.Serializer):
    """`{"target": "facilities.Room", "uuid": "..."}`: the object about to be deleted."""

    target = serializers.RegexField(
        TARGET_PATTERN,
        max_length=200,
        error_messages={"invalid": "Must look like 'domain.Model'."},
    )
    uuid = serializers.UUIDField()


class ProtectingAnswerSerializer(ProtectingQuerySerializer):
    """The query, and the PROTECT references (`"app.Model.field"`) that point at the object."""

    protected_by = serializers.ListField(child=serializers.CharField())


@extend_schema(
    request=ProtectingQuerySerializer,
    responses={200: ProtectingAnswerSerializer, 400: ErrorSerializer, 401: ErrorSerializer},
    summary="PROTECT references to another domain's object",
)
@api_view(["POST"])
def protecting_references_view(request: Request) -> Response:
    query = validated_input(ProtectingQuerySerializer, request.data)
    found = protecting_references(query["target"], query["uuid"])
    return Response({**query, "uuid": str(query["uuid"]), "protected_by": found})
