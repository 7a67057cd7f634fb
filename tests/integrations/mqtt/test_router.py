"""TopicRouter: wildcards, named parts, shared subscriptions, no broker needed."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from domain_services.integrations.mqtt.router import TopicError, TopicRouter


def handler_a(params: Mapping[str, str], payload: bytes) -> str:
    return "a"


def handler_b(params: Mapping[str, str], payload: bytes) -> str:
    return "b"


def test_named_part_is_captured_and_subscribes_as_plus() -> None:
    router = TopicRouter()
    router.add("devices/{eui}/status", handler_a)
    assert router.subscriptions() == [("devices/+/status", 1)]
    assert router.match("devices/00AA/status") == (handler_a, {"eui": "00AA"})


def test_plus_matches_one_level_only() -> None:
    router = TopicRouter()
    router.add("devices/+/status", handler_a)
    assert router.match("devices/x/status") == (handler_a, {})
    assert router.match("devices/x/y/status") is None
    assert router.match("devices/status") is None


def test_hash_matches_the_rest_and_the_parent() -> None:
    router = TopicRouter()
    router.add("site/{site}/#", handler_a)
    assert router.match("site/s1/a/b/c") == (handler_a, {"site": "s1", "#": "a/b/c"})
    assert router.match("site/s1") == (handler_a, {"site": "s1", "#": ""})
    assert router.match("other/s1/a") is None


def test_first_registered_route_wins() -> None:
    router = TopicRouter()
    router.add("devices/{eui}/status", handler_a)
    router.add("devices/#", handler_b)
    assert router.match("devices/1/status")[0] is handler_a  # type: ignore[index]
    assert router.match("devices/1/commands")[0] is handler_b  # type: ignore[index]


def test_decorator_registers_and_dispatch_passes_params_and_payload() -> None:
    router = TopicRouter()
    seen = []

    @router.route("devices/{eui}/{kind}", qos=0)
    def handle(params: Mapping[str, str], payload: bytes) -> None:
        seen.append((dict(params), payload))

    router.dispatch("devices/E1/status", b"{}")
    assert seen == [({"eui": "E1", "kind": "status"}, b"{}")]
    assert router.subscriptions() == [("devices/+/+", 0)]


def test_dispatch_without_route_raises_lookup_error() -> None:
    with pytest.raises(LookupError, match="No route"):
        TopicRouter().dispatch("nothing/here", b"")


def test_shared_group_prefixes_subscriptions() -> None:
    router = TopicRouter()
    router.add("devices/{eui}/status", handler_a)
    assert router.subscriptions(group="ingest") == [("$share/ingest/devices/+/status", 1)]


def test_shared_pattern_and_shared_topic_reach_the_same_handler() -> None:
    router = TopicRouter()
    router.add("$share/ingest/devices/{eui}/status", handler_a)
    assert router.subscriptions() == [("devices/+/status", 1)]
    # Messages from a shared subscription arrive on the plain topic...
    assert router.match("devices/E1/status") == (handler_a, {"eui": "E1"})
    # ...and a shared filter given to match() resolves to the same handler.
    assert router.match("$share/other/devices/E1/status") == (handler_a, {"eui": "E1"})


def test_wildcards_do_not_match_dollar_topics() -> None:
    router = TopicRouter()
    router.add("#", handler_a)
    router.add("{first}/broker/#", handler_a)
    assert router.match("$SYS/broker/uptime") is None
    assert router.match("plain/topic") == (handler_a, {"#": "plain/topic"})


@pytest.mark.parametrize("topic", ["", "devices/\0/status"])
def test_invalid_topics_do_not_match(topic: str) -> None:
    router = TopicRouter()
    router.add("#", handler_a)
    assert router.match(topic) is None


def test_empty_levels_are_levels() -> None:
    router = TopicRouter()
    router.add("devices/{eui}/status", handler_a)
    assert router.match("devices//status") == (handler_a, {"eui": ""})


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("a/#/b", "'#' must be the last level"),
        ("a/b+/c", "wildcards must fill a whole level"),
        ("a/{1x}/c", "not a valid parameter name"),
        ("a/{x}/{x}", "appears twice"),
        ("$share/g", "not a valid shared subscription"),
        ("", "cannot be empty"),
    ],
)
def test_bad_patterns_are_rejected(pattern: str, message: str) -> None:
    with pytest.raises(TopicError, match=message):
        TopicRouter().add(pattern, handler_a)


def test_a_match_is_remembered_until_the_routes_change() -> None:
    router = TopicRouter()
    router.add("devices/{eui}/status", handler_a)
    first = router.match("devices/00AA/status")
    assert router.match("devices/00AA/status") is first
    assert router.match("sites/s1") is None
    router.add("sites/{site}", handler_b)
    assert router.match("sites/s1") == (handler_b, {"site": "s1"})


def test_remembered_matches_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("domain_services.integrations.mqtt.router.MATCH_CACHE_SIZE", 3)
    router = TopicRouter()
    router.add("devices/{eui}/status", handler_a)
    for n in range(10):
        assert router.match(f"devices/{n:04X}/status") == (handler_a, {"eui": f"{n:04X}"})
        assert len(router._matched) <= 3
