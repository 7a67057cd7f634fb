"""The users API: thin views over the users domain service."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from domain_services import ValidationFailed, services
from domain_services.integrations.rest.server.fields import StrictUUIDField
from domain_services.integrations.rest.server.views import (
    ResourceViewSet,
    page_body,
    page_serializer,
    pagination,
    pagination_parameters,
)
from domain_services.uuids import parse_uuid
from users.models import Person

from . import serializers as s


class OrganizationViewSet(ResourceViewSet):
    resource = staticmethod(lambda: services.users.organizations)
    output_serializer = s.OrganizationSerializer
    create_serializer = s.OrganizationCreateSerializer
    update_serializer = s.OrganizationUpdateSerializer
    filter_fields = {"slug": serializers.SlugField()}
    ordering_fields = ("name", "slug", "created_at")
    allow_delete = True


class PersonViewSet(ResourceViewSet):
    resource = staticmethod(lambda: services.users.people)
    output_serializer = s.PersonSerializer
    create_serializer = s.PersonCreateSerializer
    update_serializer = s.PersonUpdateSerializer
    filter_fields = {
        "organization": StrictUUIDField(),
        "role": serializers.ChoiceField(choices=Person.Role.choices),
    }
    ordering_fields = ("full_name", "created_at")
    allow_delete = True


@extend_schema(
    parameters=pagination_parameters(),
    responses=page_serializer(s.PersonSerializer),
    summary="Members of an organization, one page",
)
@api_view(["GET"])
def organization_members(request: Request, uuid: str) -> Response:
    organization = parse_uuid(uuid)  # a malformed one is a 400 naming the path's `uuid`
    page, page_size = pagination(request.query_params)
    unknown = sorted(set(request.query_params) - {"page", "page_size"})
    if unknown:
        raise ValidationFailed({name: ["Unknown query parameter."] for name in unknown})
    members = services.users.members_of_organization(
        organization_uuid=organization, page=page, page_size=page_size
    )
    return Response(page_body(members, s.PersonSerializer(members.items, many=True).data))
