"""The catalog domain's API, as a project exposes it: thin ResourceViewSets on its services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_dataclasses.serializers import DataclassSerializer

from domain_services.integrations.rest.server.fields import StrictUUIDField
from domain_services.integrations.rest.server.views import ResourceViewSet
from tests.catalog.services import CategoryDTO, CategoryService, ProductDTO, ProductService


class CategorySerializer(DataclassSerializer):
    class Meta:
        dataclass = CategoryDTO


class ProductSerializer(DataclassSerializer):
    class Meta:
        dataclass = ProductDTO


class CategoryInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class ProductInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    sku = serializers.CharField(max_length=32)
    price_cents = serializers.IntegerField(min_value=0)
    active = serializers.BooleanField(required=False)
    category = StrictUUIDField()


class CategoryViewSet(ResourceViewSet):
    resource = CategoryService
    output_serializer = CategorySerializer
    create_serializer = CategoryInputSerializer
    update_serializer = CategoryInputSerializer
    ordering_fields = ("name",)
    allow_delete = True


class ProductViewSet(ResourceViewSet):
    resource = ProductService
    output_serializer = ProductSerializer
    create_serializer = ProductInputSerializer
    update_serializer = ProductInputSerializer
    filter_fields = {
        "category": StrictUUIDField(),
        "active": serializers.BooleanField(),
        "sku": serializers.CharField(),
    }
    ordering_fields = ("name", "price_cents", "created_at")
    max_page_size = 200
    allow_delete = True


class ProductsOfCategoryView(APIView):
    """A domain method: every product of one category (NotFound for no category)."""

    @extend_schema(
        responses=inline_serializer("ProductsOfCategory", {"results": ProductSerializer(many=True)})
    )
    def get(self, request: Request, uuid: str) -> Response:
        category = CategoryService().get(uuid)
        page = ProductService().list(filters={"category": category.uuid}, page_size=500)
        return Response({"results": ProductSerializer(page.items, many=True).data})
