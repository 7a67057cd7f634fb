"""Models that break the rules, installed only by the system-check tests."""

from django.db import models

from domain_services import UUIDReference


class Shipment(models.Model):
    # A ForeignKey into the catalog domain: E001.
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE)
    # A reference to a model the (local) catalog domain does not have: E002.
    box = UUIDReference("catalog.Box")

    def __str__(self) -> str:
        return f"Shipment {self.pk}"
