"""System checks: `manage.py check` reports boundary violations and bad configuration.

| id                   | problem                                                          |
| -------------------- | ---------------------------------------------------------------- |
| domain_services.E001 | a ForeignKey, OneToOneField or ManyToManyField crosses domains   |
| domain_services.E002 | a UUIDReference targets a model its (local) domain does not have |
| domain_services.E003 | a UUIDReference target is not written `"domain.Model"`           |
| domain_services.E004 | a set-null UUIDReference is not nullable                         |
| domain_services.E010 | a DOMAIN_SERVICES entry is misconfigured                         |
| domain_services.E011 | the accepted service tokens are malformed                         |
| domain_services.E012 | (--deploy) a development service token outside DEBUG             |

E011 and E012 are registered by the REST integration's app
(`domain_services.integrations.rest.checks`): the core does not import the integrations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from domain_services.references import UUIDReference
from domain_services.registry import SETTING, domain_configs, load_backend


def app_domains() -> dict[str, str]:
    """App label -> domain. An app is its own domain unless a DOMAIN_SERVICES entry's
    `APPS` groups it into one."""
    mapping = {config.label: config.label for config in apps.get_app_configs()}
    try:
        configs = domain_configs()
    except ImproperlyConfigured:
        return mapping  # reported by check_domain_services
    for domain, config in configs.items():
        for label in config.get("APPS") or ():
            mapping[label] = domain
    return mapping


def is_shared_app(app_config: AppConfig) -> bool:
    """Framework and third-party apps (auth, admin, DRF, ...) belong to no domain."""
    shared = set(getattr(settings, "DOMAIN_SERVICES_SHARED_APPS", ()))
    return (
        app_config.label in shared
        or app_config.name.startswith("django.")
        or "site-packages" in str(app_config.path)
    )


def check_cross_domain_relations(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    domains = app_domains()
    errors: list[checks.CheckMessage] = []
    for model in _models(app_configs):
        source = model._meta.app_config
        if is_shared_app(source):
            continue
        for field in [*model._meta.local_fields, *model._meta.local_many_to_many]:
            if not field.is_relation or field.related_model is None:
                continue
            if isinstance(field.related_model, str):  # unresolved: Django reports it itself
                continue
            target = field.related_model._meta.app_config
            if is_shared_app(target):
                continue
            source_domain, target_domain = domains[source.label], domains[target.label]
            if source_domain != target_domain:
                errors.append(
                    checks.Error(
                        f"{model._meta.label}.{field.name} is a {type(field).__name__} from the "
                        f"{source_domain!r} domain into {target_domain!r} "
                        f"({field.related_model._meta.label}).",
                        hint=(
                            "Replace it with UUIDReference("
                            f"{field.related_model._meta.label!r}, on_delete=...) and resolve it "
                            f"through the {target_domain} service."
                        ),
                        obj=field,
                        id="domain_services.E001",
                    )
                )
    return errors


def check_uuid_reference_targets(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    domains = app_domains()
    local_domains = set(domains.values())
    errors: list[checks.CheckMessage] = []
    for model in _models(app_configs):
        for field in model._meta.local_fields:
            if not isinstance(field, UUIDReference) or field.to.count(".") != 1:
                continue
            if field.target_domain not in local_domains:
                continue  # served by another project; only its owner knows its models
            labels = [label for label, domain in domains.items() if domain == field.target_domain]
            if not any(_has_model(label, field.target_model) for label in labels):
                errors.append(
                    checks.Error(
                        f"{model._meta.label}.{field.name} refers to {field.to!r}, but the "
                        f"{field.target_domain!r} domain in this project has no model "
                        f"{field.target_model!r}.",
                        obj=field,
                        id="domain_services.E002",
                    )
                )
    return errors


def check_domain_services(**kwargs: Any) -> list[checks.CheckMessage]:
    try:
        configs = domain_configs()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="domain_services.E010")]
    errors: list[checks.CheckMessage] = []
    for domain, config in configs.items():
        try:
            problems = load_backend(domain, config).check()
        except ImproperlyConfigured as exc:
            problems = [str(exc)]
        errors.extend(checks.Error(p, obj=SETTING, id="domain_services.E010") for p in problems)
    return errors


def register() -> None:
    checks.register(check_cross_domain_relations, checks.Tags.models)
    checks.register(check_uuid_reference_targets, checks.Tags.models)
    checks.register(check_domain_services)


def _models(app_configs: Sequence[AppConfig] | None) -> Iterable[Any]:
    if app_configs is None:
        return apps.get_models()
    return [model for config in app_configs for model in config.get_models()]


def _has_model(app_label: str, model_name: str) -> bool:
    try:
        apps.get_model(app_label, model_name)
    except LookupError:
        return False
    return True
