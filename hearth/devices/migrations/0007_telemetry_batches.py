"""The raw event table loses three columns to a per-batch table (ADR 0004): ``received_at`` and
``tier_at_receipt`` move to ``devices_telemetrybatch`` (one row per accepted batch), and
``service`` is read from the payload (the type's ``service_field``) when rollups run.

Existing events are grouped into batches by (household, receipt time, tier at receipt), which is
what one accepted batch shared, and each event gets its batch's id. On PostgreSQL the column
changes reach every partition (ALTER TABLE on the partitioned table). On SQLite Django rebuilds
the table for the NOT NULL changes; the AUTOINCREMENT high mark is carried over, so an id never
comes back below the rollup watermark. Reversible: going back refills the three columns from the
batch rows and the payloads.
"""

import django.db.models.deletion
from django.db import migrations, models

TABLE = "devices_telemetryevent"
BATCH = "devices_telemetrybatch"
_high_mark: dict[str, int] = {}


def remember_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [TABLE])
        row = cursor.fetchone()
    _high_mark["seq"] = int(row[0]) if row else 0


def restore_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite" or not _high_mark.get("seq"):
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s",
            [_high_mark["seq"], TABLE],
        )
        if cursor.rowcount == 0:
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)",
                [TABLE, _high_mark["seq"]],
            )


def fill_batches(apps, schema_editor):
    """One batch row per (household, receipt time, tier) in order of first event, then each
    event's batch id."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BATCH} (household_id, received_at, tier_at_receipt) "
            f"SELECT household_id, received_at, tier_at_receipt FROM {TABLE} "
            "GROUP BY household_id, received_at, tier_at_receipt ORDER BY MIN(id)"
        )
        cursor.execute(
            f"UPDATE {TABLE} SET batch_id = (SELECT b.id FROM {BATCH} b "
            f"WHERE b.household_id = {TABLE}.household_id "
            f"AND b.received_at = {TABLE}.received_at "
            f"AND b.tier_at_receipt = {TABLE}.tier_at_receipt)"
        )


def unfill_batches(apps, schema_editor):
    """Going back: each event's receipt time and tier from its batch row, its service from the
    payload's service field (every type that has one calls it ``service``)."""
    from hearth.devices import rules

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET "
            f"received_at = (SELECT b.received_at FROM {BATCH} b WHERE b.id = {TABLE}.batch_id), "
            f"tier_at_receipt = (SELECT b.tier_at_receipt FROM {BATCH} b "
            f"WHERE b.id = {TABLE}.batch_id)"
        )
        for etype, spec in rules.event_schema().events.items():
            if not spec.service_field:
                continue
            if connection.vendor == "postgresql":
                value = "payload ->> %s"
                key = spec.service_field
            else:
                value = "json_extract(payload, %s)"
                key = f"$.{spec.service_field}"
            cursor.execute(f"UPDATE {TABLE} SET service = {value} WHERE type = %s", [key, etype])


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0006_telemetry_payload_unchecked"),
    ]

    operations = [
        migrations.RunPython(remember_sequence, restore_sequence),
        migrations.CreateModel(
            name="TelemetryBatch",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("received_at", models.DateTimeField(verbose_name="received at")),
                (
                    "tier_at_receipt",
                    models.CharField(
                        choices=[
                            ("decline", "Not registered (declined)"),
                            ("registered_opt_out", "Registered, no usage statistics"),
                            ("registered_opt_in", "Registered, usage statistics shared"),
                        ],
                        max_length=20,
                        verbose_name="tier at receipt",
                    ),
                ),
                (
                    "household",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="devices.household",
                        verbose_name="household",
                    ),
                ),
            ],
            options={
                "verbose_name": "telemetry batch",
                "verbose_name_plural": "telemetry batches",
            },
        ),
        migrations.AddField(
            model_name="telemetryevent",
            name="batch",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="devices.telemetrybatch",
                verbose_name="batch",
            ),
        ),
        # Nullable first, so that going back re-adds them nullable and refills them.
        migrations.AlterField(
            model_name="telemetryevent",
            name="received_at",
            field=models.DateTimeField(null=True, verbose_name="received at"),
        ),
        migrations.AlterField(
            model_name="telemetryevent",
            name="tier_at_receipt",
            field=models.CharField(
                choices=[
                    ("decline", "Not registered (declined)"),
                    ("registered_opt_out", "Registered, no usage statistics"),
                    ("registered_opt_in", "Registered, usage statistics shared"),
                ],
                max_length=20,
                null=True,
                verbose_name="tier at receipt",
            ),
        ),
        migrations.RunPython(fill_batches, unfill_batches),
        migrations.RemoveField(model_name="telemetryevent", name="received_at"),
        migrations.RemoveField(model_name="telemetryevent", name="service"),
        migrations.RemoveField(model_name="telemetryevent", name="tier_at_receipt"),
        migrations.AlterField(
            model_name="telemetryevent",
            name="batch",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="devices.telemetrybatch",
                verbose_name="batch",
            ),
        ),
        migrations.RunPython(restore_sequence, remember_sequence),
    ]
