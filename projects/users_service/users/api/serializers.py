"""Input and output shapes of the users API."""

from rest_framework import serializers
from rest_framework_dataclasses.serializers import DataclassSerializer

from domain_services.integrations.rest.server.fields import StrictUUIDField
from domain_services.interfaces.users import OrganizationDTO, PersonDTO
from users.models import Person


class OrganizationSerializer(DataclassSerializer):
    class Meta:
        dataclass = OrganizationDTO


class OrganizationCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=60)


class OrganizationUpdateSerializer(OrganizationCreateSerializer):
    pass


class PersonSerializer(DataclassSerializer):
    class Meta:
        dataclass = PersonDTO


class PersonCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField(required=False, allow_blank=True)
    full_name = serializers.CharField(max_length=200)
    organization = StrictUUIDField()
    role = serializers.ChoiceField(choices=Person.Role.choices, required=False)


class PersonUpdateSerializer(serializers.Serializer):
    email = serializers.EmailField(allow_blank=True)
    full_name = serializers.CharField(max_length=200)
    organization = StrictUUIDField()
    role = serializers.ChoiceField(choices=Person.Role.choices)
    is_active = serializers.BooleanField()
