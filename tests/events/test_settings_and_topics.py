"""DOMAIN_SERVICES_EVENTS is checked key by key; a consumer's topics follow from its handlers
and its SET_NULL/CASCADE references, never a domain it serves itself."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from domain_services import events
from domain_services.events.settings import parse
from domain_services.events.topics import consumed_targets, consumed_topics


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ([], "must be a dictionary"),
        ({"OUTBOX": "facilities"}, "['OUTBOX']"),
        ({"OUTBOX": ["not a name"]}, "['OUTBOX']"),
        ({"TOPIC_PREFIX": "events/#"}, "['TOPIC_PREFIX']"),
        ({"OUTBOXES": True}, "unknown keys ['OUTBOXES']"),
        ({"RELAY": {"BATCH_SIZE": 0}}, "['RELAY']['BATCH_SIZE'] must be >= 1"),
        ({"RELAY": {"BATCH_SIZE": True}}, "['RELAY']['BATCH_SIZE'] must be an integer"),
        ({"CONSUMER": {"GROUP": "a/b"}}, "['CONSUMER']['GROUP']"),
        ({"CONSUMER": {"CLIENT_ID": ""}}, "['CONSUMER']['CLIENT_ID']"),
        ({"CONSUMER": {"MAX_PAYLOAD_BYTES": 10}}, "['CONSUMER']['MAX_PAYLOAD_BYTES']"),
        ({"CONSUMER": {"BATCHSIZE": 5}}, "unknown keys ['BATCHSIZE']"),
    ],
)
def test_a_wrong_setting_names_its_key(value, named):
    with pytest.raises(ImproperlyConfigured) as exc:
        parse(value)
    assert named in str(exc.value)


def test_the_outbox_records_the_domains_it_names():
    assert not parse(None).enabled
    config = parse({"OUTBOX": ["facilities"]})
    assert config.records("facilities") and not config.records("users")
    assert parse({"OUTBOX": True}).records("anything")


def test_a_consumer_subscribes_to_what_its_handlers_and_references_need(settings):
    settings.DOMAIN_SERVICES = {
        "catalog": {"BACKEND": "rest", "URL": "http://catalog", "TOKEN": "t" * 40}
    }
    targets = consumed_targets()

    # The ledger's handler names ledger.Entry creations; the orders domain holds SET_NULL and
    # CASCADE references to catalog products and variants, served elsewhere here.
    assert targets["ledger.Entry"] == {"created"}
    assert targets["catalog.Product"] == {"deleted"}
    assert targets["catalog.Variant"] == {"deleted"}
    assert consumed_topics("events") == [
        "events/catalog/Product/deleted",
        "events/catalog/Variant/deleted",
        "events/ledger/Entry/created",
    ]


def test_a_domain_served_here_is_never_consumed_from_the_broker(settings):
    settings.DOMAIN_SERVICES = {
        "catalog": {"BACKEND": "local", "SERVICE": "tests.catalog.services.ProductService"}
    }
    assert "catalog.Product" not in consumed_targets()


def test_a_handler_for_every_action_gets_one_wildcard_filter():
    def handler(event):
        return None

    for kind in (events.ObjectCreated, events.ObjectUpdated, events.ObjectDeleted):
        events.subscribe(kind, handler, target="stock.Item")
    try:
        assert "events/stock/Item/+" in consumed_topics("events")
        assert "events/stock/Item/created" not in consumed_topics("events")
    finally:
        for kind in (events.ObjectCreated, events.ObjectUpdated, events.ObjectDeleted):
            events.unsubscribe(kind, handler, target="stock.Item")
