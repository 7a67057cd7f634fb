"""The devices API views that the interface declaration does not derive: live status (from
MongoDB) and commands (over MQTT). The rest of `/api/v1/` is derived (`api_urls`)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from domain_services import NotFound, ValidationFailed, services
from domain_services.devices.command_log import MAX_KEY_LENGTH, check_key
from domain_services.dto import dto_to_dict
from domain_services.integrations.rest.server.interface_views import resource_viewset
from domain_services.integrations.rest.server.views import validated_input
from org_interfaces.devices import Devices

from . import serializers as s
from .rooms import with_room_labels
from .status import DeviceStatusSerializer, with_statuses

INCLUDES = ("status", "room")
INCLUDE = OpenApiParameter(
    "include",
    OpenApiTypes.STR,
    enum=["status", "room", "status,room", "room,status"],
    description="`status`: add each live status. `room`: add `room_label` and "
    "`monitored_room_label` from this service's copy of the facilities rooms (no call to "
    "facilities: it answers while facilities is down; null for a room it does not know).",
)


def included(request: Request) -> set[str]:
    """The `include` values, each one of INCLUDES."""
    value = request.query_params.get("include")
    if value is None:
        return set()
    found = {part.strip() for part in value.split(",")}
    if not found or not found <= set(INCLUDES):
        raise ValidationFailed.for_field(
            "include", f"A comma-separated list of {', '.join(map(repr, INCLUDES))}."
        )
    return found


DerivedDeviceViewSet = resource_viewset(Devices, Devices.devices)


class DeviceViewSet(DerivedDeviceViewSet):  # type: ignore[misc,valid-type]
    """The derived devices resource, with live status and room labels on request
    (`?include=status,room`)."""

    filter_fields = {
        **DerivedDeviceViewSet.filter_fields,
        "eui": s.EUIField(),  # any spelling of an EUI finds the device
    }
    extra_parameters = ("include",)

    @extend_schema(parameters=[INCLUDE])
    def list(self, request: Request) -> Response:
        include = included(request)
        response = super().list(request)
        if "status" in include:
            response.data["results"] = with_statuses(response.data["results"])
        if "room" in include:
            response.data["results"] = with_room_labels(response.data["results"])
        return response

    def retrieve(self, request: Request, uuid: str) -> Response:
        """One device with its live status."""
        response = super().retrieve(request, uuid)
        response.data = with_statuses([response.data])[0]
        return response


@extend_schema(responses=DeviceStatusSerializer, summary="Live status of a device")
@api_view(["GET"])
def device_status(request: Request, uuid: str) -> Response:
    found = services.devices.status_of(uuid)
    if found is None:
        raise NotFound("This device has not reported a status yet.", uuid=uuid)
    return Response(dto_to_dict(found))


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    # As check_key takes it: printable ASCII, no spaces.
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[!-~]+$"},
    OpenApiParameter.HEADER,
    description="Send the same key when retrying: the command is published once and every "
    "retry returns the first result. 1-200 printable ASCII characters without spaces.",
)


@extend_schema(
    request=s.CommandSerializer,
    parameters=[IDEMPOTENCY_KEY],
    responses={202: s.CommandSentSerializer},
    summary="Send a command",
)
@api_view(["POST"])
def device_command(request: Request, uuid: str) -> Response:
    # Everything is checked before anything is published.
    device = services.devices.devices.get(uuid)  # 400 for a malformed UUID, 404 for none
    data = validated_input(s.CommandSerializer, request.data)
    key = request.headers.get("Idempotency-Key")
    if key is not None:
        check_key(key, field="Idempotency-Key")
    sent = services.devices.send_command(
        device.uuid, command=data["command"], args=data.get("args"), idempotency_key=key
    )
    return Response(dto_to_dict(sent), status=status.HTTP_202_ACCEPTED)
