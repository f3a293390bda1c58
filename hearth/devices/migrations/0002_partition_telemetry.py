"""On PostgreSQL, turn devices_telemetryevent into a table range-partitioned by ``day``.

SQLite keeps one table (this migration does nothing there). The primary key becomes
(id, day) and the dedup constraint (household_id, day, client_event_id) already holds the
partition key, as PostgreSQL requires. A default partition catches days that have no monthly
partition; ``hearth.devices.partitions.ensure_partitions`` creates months ahead (daily task).
See docs/adr/0002-telemetry-storage.md.
"""

from django.db import migrations


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from hearth.devices import partitions

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE TABLE devices_telemetryevent_p (
                LIKE devices_telemetryevent INCLUDING DEFAULTS INCLUDING IDENTITY
            ) PARTITION BY RANGE (day)
            """
        )
        cursor.execute("DROP TABLE devices_telemetryevent")
        cursor.execute("ALTER TABLE devices_telemetryevent_p RENAME TO devices_telemetryevent")
        cursor.execute(
            "ALTER TABLE devices_telemetryevent "
            "ADD CONSTRAINT devices_telemetryevent_pkey PRIMARY KEY (id, day)"
        )
        cursor.execute(
            "ALTER TABLE devices_telemetryevent ADD CONSTRAINT devices_event_once "
            "UNIQUE (household_id, day, client_event_id)"
        )
        cursor.execute(
            "CREATE TABLE devices_telemetryevent_default "
            "PARTITION OF devices_telemetryevent DEFAULT"
        )
    partitions.ensure_partitions(connection=schema_editor.connection)


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE TABLE devices_telemetryevent_plain (
                LIKE devices_telemetryevent INCLUDING DEFAULTS INCLUDING IDENTITY
            )
            """
        )
        cursor.execute("INSERT INTO devices_telemetryevent_plain SELECT * FROM devices_telemetryevent")
        cursor.execute("DROP TABLE devices_telemetryevent CASCADE")
        cursor.execute(
            "ALTER TABLE devices_telemetryevent_plain RENAME TO devices_telemetryevent"
        )
        cursor.execute(
            "ALTER TABLE devices_telemetryevent "
            "ADD CONSTRAINT devices_telemetryevent_pkey PRIMARY KEY (id)"
        )
        cursor.execute(
            "ALTER TABLE devices_telemetryevent ADD CONSTRAINT devices_event_once "
            "UNIQUE (household_id, day, client_event_id)"
        )


class Migration(migrations.Migration):
    dependencies = [("devices", "0001_initial")]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
