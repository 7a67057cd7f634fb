"""Importing an optional driver with an error that says which extra installs it."""

from __future__ import annotations

import importlib
from types import ModuleType


def require_extra(module: str, *, extra: str) -> ModuleType:
    """Import `module`, or raise an ImportError naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{module!r} is not installed; install it with "
            f"`pip install django-domain-services[{extra}]`."
        ) from exc
