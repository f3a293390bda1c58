"""Drop SQLite's JSON_VALID check on the raw event payload (ADR 0004): the payload is written
only by ``repository.insert_events`` from its own JSON encoder, and the check re-parsed every
value at insert. On PostgreSQL nothing changes (jsonb). On SQLite Django rebuilds the table; the
AUTOINCREMENT high mark is carried over, so an id never comes back below the rollup watermark
even when the newest rows had been purged before the rebuild."""

from django.db import migrations

import hearth.devices.models

_high_mark: dict[str, int] = {}


def remember_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = 'devices_telemetryevent'")
        row = cursor.fetchone()
    _high_mark["seq"] = int(row[0]) if row else 0


def restore_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite" or not _high_mark.get("seq"):
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = 'devices_telemetryevent'",
            [_high_mark["seq"]],
        )
        if cursor.rowcount == 0:
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('devices_telemetryevent', %s)",
                [_high_mark["seq"]],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0005_claim_failures"),
    ]

    operations = [
        migrations.RunPython(remember_sequence, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="telemetryevent",
            name="payload",
            field=hearth.devices.models.WrittenJSONField(default=dict, verbose_name="payload"),
        ),
        migrations.RunPython(restore_sequence, migrations.RunPython.noop),
    ]
