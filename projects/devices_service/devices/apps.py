from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "devices"
    verbose_name = "Devices"

    def ready(self) -> None:
        from devices import rooms
        from devices.live import register_health_checks
        from domain_services import events

        register_health_checks()
        # The read model of rooms, fed by facilities' events (consume_events subscribes to them).
        events.subscribe(events.ObjectCreated, rooms.room_changed, target=rooms.ROOM)
        events.subscribe(events.ObjectUpdated, rooms.room_changed, target=rooms.ROOM)
        events.subscribe(events.ObjectDeleted, rooms.room_deleted, target=rooms.ROOM)
