"""Organizations and the people in them. Logins stay Django's auth users."""

from django.conf import settings
from django.db import models

from domain_services.models import DomainModel


class Organization(DomainModel):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Person(DomainModel):
    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        ADMIN = "admin", "Administrator"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="person"
    )
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="people")
    full_name = models.CharField(max_length=200)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        verbose_name_plural = "people"
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name
