"""`Page`: one page of a list, the answer of every `list` call, local or remote."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generic, TypeVar

D = TypeVar("D")


@dataclass(frozen=True, slots=True)
class Page(Generic[D]):
    """One page of a list: its items and where it sits in the whole."""

    items: tuple[D, ...]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.has_next else None
