"""Routing MQTT messages to handlers by topic pattern.

A pattern is an MQTT topic filter whose single-level parts may be named:
`devices/{eui}/status` subscribes as `devices/+/status` and hands the handler
`{"eui": "<level>"}`. `+` matches one level without capturing it; a final `#` matches the rest of
the topic and is captured as `params["#"]`. A `$share/<group>/` prefix only changes how the
subscription is made: messages from a shared subscription carry the plain topic, so they reach
the same handler.

The router is pure Python with no paho import, so it is unit-tested without a broker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

Handler = Callable[[Mapping[str, str], bytes], Any]
H = TypeVar("H", bound=Handler)

SHARE_PREFIX = "$share/"
# Topics whose match is remembered (a device publishes on the same topic every time). Cleared
# when full, which also bounds what a flood of one-off topics can take.
MATCH_CACHE_SIZE = 1 << 15


class TopicError(ValueError):
    """A pattern or topic that is not valid MQTT."""


@dataclass(frozen=True, slots=True)
class Route:
    """One registered pattern: its levels, its subscription filter and its handler."""

    pattern: str
    filter: str
    levels: tuple[str, ...]
    handler: Handler
    qos: int
    multi: bool  # ends in '#'
    _fixed: tuple[tuple[int, str], ...] = field(init=False, repr=False, compare=False)
    _captures: tuple[tuple[int, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Matching runs for every received message: split the levels once into the ones to
        # compare and the ones to capture.
        body = self.levels[:-1] if self.multi else self.levels
        fixed = tuple((i, level) for i, level in enumerate(body) if level[0] not in "+{")
        captures = tuple((i, level[1:-1]) for i, level in enumerate(body) if level[0] == "{")
        object.__setattr__(self, "_fixed", fixed)
        object.__setattr__(self, "_captures", captures)

    def match(self, levels: list[str]) -> dict[str, str] | None:
        """The captured parameters when `levels` match this route, else None."""
        if not self.multi:
            if len(levels) != len(self.levels):
                return None
            for index, expected in self._fixed:
                if levels[index] != expected:
                    return None
            return {name: levels[index] for index, name in self._captures}
        if self.multi:
            fixed = len(self.levels) - 1
            # 'a/#' also matches 'a' itself (MQTT 3.1.1 section 4.7.1.2).
            if len(levels) < fixed:
                return None
        elif len(levels) != len(self.levels):
            return None
        params: dict[str, str] = {}
        for expected, actual in zip(self.levels, levels, strict=False):
            if expected == "#":
                break
            if expected == "+":
                continue
            if expected[0] == "{":
                params[expected[1:-1]] = actual
            elif expected != actual:
                return None
        if self.multi:
            params["#"] = "/".join(levels[len(self.levels) - 1 :])
        return params


def split_shared(topic_filter: str) -> tuple[str | None, str]:
    """`("g", "a/b")` for `"$share/g/a/b"`, `(None, topic_filter)` for anything else."""
    if not topic_filter.startswith(SHARE_PREFIX):
        return None, topic_filter
    _, group, rest = [*topic_filter.split("/", 2), "", ""][:3]
    if not group or not rest or any(c in group for c in "+#"):
        raise TopicError(f"{topic_filter!r} is not a valid shared subscription ($share/group/...).")
    return group, rest


def shared_filter(topic_filter: str, group: str | None) -> str:
    """`topic_filter` as a member of the shared-subscription `group` (unchanged when None)."""
    return f"{SHARE_PREFIX}{group}/{topic_filter}" if group else topic_filter


class TopicRouter:
    """Handlers registered for topic patterns; the first registered match wins.

    ```python
    router = TopicRouter()

    @router.route("devices/{eui}/status")
    def status(params, payload):
        ...
    ```
    """

    def __init__(self) -> None:
        self._routes: list[Route] = []
        self._matched: dict[str, tuple[Handler, Mapping[str, str]] | None] = {}

    @property
    def routes(self) -> tuple[Route, ...]:
        return tuple(self._routes)

    def route(self, pattern: str, *, qos: int = 1) -> Callable[[H], H]:
        """Decorator form of `add`."""

        def register(handler: H) -> H:
            self.add(pattern, handler, qos=qos)
            return handler

        return register

    def add(self, pattern: str, handler: Handler, *, qos: int = 1) -> Route:
        """Register `handler` for `pattern` (a `$share/<group>/` prefix is accepted and ignored)."""
        if qos not in (0, 1, 2):
            raise TopicError(f"qos must be 0, 1 or 2, not {qos!r}.")
        _, plain = split_shared(pattern)
        levels = tuple(plain.split("/"))
        names: set[str] = set()
        filter_levels = []
        for index, level in enumerate(levels):
            if level.startswith("{") and level.endswith("}"):
                name = level[1:-1]
                if not name.isidentifier():
                    raise TopicError(f"{pattern!r}: {level!r} is not a valid parameter name.")
                if name in names:
                    raise TopicError(f"{pattern!r}: parameter {name!r} appears twice.")
                names.add(name)
                filter_levels.append("+")
                continue
            if level == "#" and index != len(levels) - 1:
                raise TopicError(f"{pattern!r}: '#' must be the last level.")
            if level not in ("+", "#") and any(c in level for c in "+#{}\0"):
                raise TopicError(f"{pattern!r}: wildcards must fill a whole level ({level!r}).")
            filter_levels.append(level)
        if not plain:
            raise TopicError("A topic pattern cannot be empty.")
        route = Route(
            pattern=plain,
            filter="/".join(filter_levels),
            levels=levels,
            handler=handler,
            qos=qos,
            multi=levels[-1] == "#",
        )
        self._routes.append(route)
        self._matched.clear()
        return route

    def subscriptions(self, *, group: str | None = None) -> list[tuple[str, int]]:
        """`(filter, qos)` for every route, as members of `group` when given."""
        seen: dict[str, int] = {}
        for route in self._routes:
            key = shared_filter(route.filter, group)
            seen[key] = max(seen.get(key, 0), route.qos)
        return list(seen.items())

    def match(self, topic: str) -> tuple[Handler, Mapping[str, str]] | None:
        """The handler and parameters for a received `topic`, or None when no route matches.

        A `$share/<group>/` prefix is stripped first, so a shared filter resolves to the same
        handler as the plain one. Answers are remembered per topic, so the parameters of one
        topic are the same mapping each time: read them, do not change them.
        """
        matched = self._matched
        try:
            return matched[topic]
        except KeyError:
            pass
        if len(matched) >= MATCH_CACHE_SIZE:
            matched.clear()
        found = matched[topic] = self._match(topic)
        return found

    def _match(self, topic: str) -> tuple[Handler, Mapping[str, str]] | None:
        if not topic or "\0" in topic:
            return None
        if topic.startswith(SHARE_PREFIX):
            try:
                _, topic = split_shared(topic)
            except TopicError:
                return None
        levels = topic.split("/")
        # Wildcards never match topics starting with '$' ($SYS, ...), as MQTT requires.
        dollar = topic[0] == "$"
        for route in self._routes:
            if dollar and (route.levels[0] in ("+", "#") or route.levels[0].startswith("{")):
                continue
            params = route.match(levels)
            if params is not None:
                return route.handler, params
        return None

    def dispatch(self, topic: str, payload: bytes) -> Any:
        """Call the matching handler; raise LookupError when no route matches."""
        found = self.match(topic)
        if found is None:
            raise LookupError(f"No route for topic {topic!r}.")
        handler, params = found
        return handler(params, payload)
