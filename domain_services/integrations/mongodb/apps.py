"""The Django app that gives `manage.py ensure_indexes`."""

from __future__ import annotations

from django.apps import AppConfig


class MongoDBConfig(AppConfig):
    """`domain_services.integrations.mongodb` as an installed app."""

    name = "domain_services.integrations.mongodb"
    label = "domain_services_mongodb"
    verbose_name = "domain_services MongoDB"
