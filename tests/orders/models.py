"""A second domain that refers to the catalog by UUID only."""

from django.db import models

from domain_services import OnDelete, UUIDReference
from domain_services.models import DomainModel


class Order(DomainModel):
    product = UUIDReference("catalog.Product", on_delete=OnDelete.PROTECT)
    quantity = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product}"


class Wish(DomainModel):
    product = UUIDReference("catalog.Product", null=True, blank=True, on_delete=OnDelete.SET_NULL)


class Review(DomainModel):
    product = UUIDReference("catalog.Product", on_delete=OnDelete.CASCADE)
    text = models.TextField()


class Shipment(DomainModel):
    """Refers to a variant, which goes when its product is deleted."""

    variant = UUIDReference("catalog.Variant", on_delete=OnDelete.PROTECT)


class Reservation(DomainModel):
    variant = UUIDReference("catalog.Variant", null=True, on_delete=OnDelete.SET_NULL)
