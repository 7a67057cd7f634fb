"""What this process consumes from other processes: derived from its handlers and references.

A process needs the events of another domain's objects when

- a handler subscribed to them by target (`events.subscribe(ObjectUpdated, handler,
  target="facilities.Room")`, a read model), or
- one of its models holds a SET_NULL or CASCADE `UUIDReference` to them (their deletions).

Events of a domain this process serves itself (`local` in `DOMAIN_SERVICES`) reach its handlers
when their transaction commits, so they are never consumed from the broker as well.
"""

from __future__ import annotations

from collections import defaultdict

from domain_services import events
from domain_services.events.envelope import topic_filter

ALL_ACTIONS = frozenset(events.EVENT_TYPES)


def local_domains() -> set[str]:
    """The domains this process serves (`local` in `DOMAIN_SERVICES`)."""
    from domain_services.registry import services  # the registry imports the service layer

    return {domain for domain in services.domains() if services.backend(domain).serves_here()}


def consumed_targets() -> dict[str, frozenset[str]]:
    """Model label -> the actions this process must hear about, for objects served elsewhere."""
    from domain_services.reference_policies import apply_delete_policies, policy_targets

    local = {domain.lower() for domain in local_domains()}
    wanted: dict[str, set[str]] = defaultdict(set)
    for subscription in events.subscriptions():
        target = subscription.target
        if target is None:
            continue
        action = getattr(subscription.event_type, "action", "")
        wanted[target] |= {action} if action else set(ALL_ACTIONS)
    if apply_delete_policies in events.handlers_for_type(events.ObjectDeleted):
        for target in policy_targets():
            wanted[target].add(events.ObjectDeleted.action)
    return {
        target: frozenset(actions)
        for target, actions in sorted(wanted.items())
        if target.partition(".")[0].lower() not in local
    }


def consumed_topics(prefix: str) -> list[str]:
    """The topic filters that bring this process exactly what it consumes, without overlaps
    (a broker may deliver a message once per matching filter)."""
    found = []
    for target, actions in consumed_targets().items():
        if actions >= ALL_ACTIONS:
            found.append(topic_filter(prefix, target))
        else:
            found += [topic_filter(prefix, target, action) for action in sorted(actions)]
    return found
