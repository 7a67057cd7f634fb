"""`manage.py startdomain <name>`: a new domain app that passes `check` and its tests as made.

    python manage.py startdomain authors               # Author, resource `authors`
    python manage.py startdomain library --model Book  # Book, resource `books`

It writes, like `startapp` (and with its `--template`, `--extension` and `--name` options):

    authors/
        apps.py            the app config
        models.py          the skinny model, a `DomainModel` with a `name`
        interface.py       the public interface: the DTO and the `Interface` with one resource
        services.py        the local implementation: a `ModelService` per resource, declared by
                           the interface, and the domain class that `DOMAIN_SERVICES` names
        admin.py           a `ServiceModelAdmin`, so staff write through the service
        migrations/        the initial migration of the model as generated
        tests/             the contract test: the interface's contract, local and over REST

No URL file: `service_urls()` serves the API of every domain that `DOMAIN_SERVICES` says is
local to the project. What is left to do (settings, `migrate`) is printed at the end.
"""

from __future__ import annotations

import re
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.core.management.templates import TemplateCommand

TEMPLATE = Path(__file__).resolve().parent.parent / "domain_template"


def model_name_for(domain: str) -> str:
    """The model class a domain is named after: `authors` -> `Author`, `categories` ->
    `Category`, `book_loans` -> `BookLoan`, `inventory` -> `Inventory`."""
    words = domain.split("_")
    last = words[-1]
    if last.endswith("ies") and len(last) > 3:
        last = last[:-3] + "y"
    elif last.endswith(("sses", "xes", "ches", "shes")):
        last = last[:-2]
    elif last.endswith("s") and not last.endswith(("ss", "us", "is")):
        last = last[:-1]
    return "".join(word.capitalize() for word in [*words[:-1], last] if word)


def resource_name_for(model: str) -> str:
    """The resource (and URL path) of a model: `Author` -> `authors`, `BookLoan` ->
    `book_loans`, `Category` -> `categories`, `Address` -> `addresses`."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", model).lower()
    if snake.endswith("y") and not snake.endswith(("ay", "ey", "oy", "uy")):
        return snake[:-1] + "ies"
    if snake.endswith(("s", "x", "ch", "sh")):
        return snake + "es"
    return snake + "s"


class Command(TemplateCommand):
    help = (
        "Creates a domain app: a skinny model, its public interface (a DTO and an Interface "
        "with one resource), the local implementation, an admin, the initial migration and a "
        "contract test, in the current directory or in the given one. The domain name is the "
        "app label and the key of its DOMAIN_SERVICES entry."
    )
    missing_args_message = "You must provide a domain name, like: startdomain authors"

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--model",
            help="The model class (CamelCase). Default: the domain name in the singular, "
            "'authors' -> 'Author'.",
        )
        parser.add_argument(
            "--resource",
            help="The interface's resource for the model, also its URL path. Default: the "
            "model's name in the plural, 'Author' -> 'authors'.",
        )

    # startapp's signature: the name and directory come in `options`.
    def handle(self, **options: Any) -> None:  # type: ignore[override]
        domain = options.pop("name")
        target = options.pop("directory")
        if domain is not None and (not domain.isidentifier() or domain != domain.lower()):
            raise CommandError(
                f"{domain!r} is not a domain name: use a lower-case Python identifier, "
                "like 'authors' or 'book_loans' (it is the app label and the DOMAIN_SERVICES key)."
            )
        model = options.pop("model") or model_name_for(domain or "")
        if not (model.isidentifier() and model[:1].isupper()):
            raise CommandError(f"--model {model!r} must be a CamelCase class name, like 'Author'.")
        resource = options.pop("resource") or resource_name_for(model)
        if not (resource.isidentifier() and resource == resource.lower()):
            raise CommandError(
                f"--resource {resource!r} must be a lower-case identifier, like 'authors'."
            )
        if resource == "domain" or resource.startswith("_") or resource in _INTERFACE_NAMES:
            raise CommandError(f"--resource {resource!r} is a name Interface uses; pick another.")
        camel = "".join(word.capitalize() for word in (domain or "").split("_"))
        context = {
            "model_name": model,
            "model_verbose": re.sub(r"(?<!^)(?=[A-Z])", " ", model).lower(),
            "dto_name": f"{model}DTO",
            "interface_name": camel,
            "domain_class": f"{camel}Domain",
            "service_class": f"{model}Service",
            "resource_name": resource,
        }
        # In the order isort and ruff put them, so the new files pass the user's linter.
        context["interface_imports"] = ", ".join(
            sorted((context["dto_name"], camel), key=str.lower)
        )
        super().handle("app", domain, target, **options, **context)
        if options["verbosity"] >= 1:
            self.stdout.write(_next_steps(domain, camel, context))

    def handle_template(self, template: str | None, subdir: str | None) -> str:
        # The domain template ships with the library; `--template` still picks another one.
        if template is None:
            return str(TEMPLATE)
        return super().handle_template(template, subdir)


_INTERFACE_NAMES = {"resources", "operations", "declaration", "missing"}


def _next_steps(domain: str, camel: str, context: dict[str, str]) -> str:
    model, resource = context["model_name"], context["resource_name"]
    return f"""\
Created the {domain} domain: {model} (models.py), the {camel} interface with its {resource!r}
resource (interface.py), {camel}Domain (services.py), admin, migration and contract test.
Next, in your settings:

    INSTALLED_APPS = [..., "domain_services", "{domain}"]
    DOMAIN_SERVICES = {{
        ...,
        "{domain}": {{"BACKEND": "local", "SERVICE": "{domain}.services.{camel}Domain"}},
    }}

then `python manage.py migrate` (with one database per domain, map the app to its alias in
DOMAIN_SERVICES_DATABASES and run `migrate --database {domain}`), and `pytest {domain}`.
With `*service_urls()` in your urls.py the API is served at /api/v1/{resource.replace("_", "-")}/.
"""
