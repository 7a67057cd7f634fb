from django.db import models
from domain_services import OnDelete, UUIDReference
from domain_services.models import DomainModel


class Book(DomainModel):
    title = models.CharField(max_length=200)
    # The author lives in the authors domain: this stores its UUID, never a ForeignKey.
    # PROTECT: an author with books cannot be deleted, wherever each domain runs.
    author = UUIDReference("authors.Author", on_delete=OnDelete.PROTECT)

    def __str__(self) -> str:
        return self.title
