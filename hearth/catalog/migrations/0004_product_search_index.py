"""The product search index: PostgreSQL full text (English and French, unaccented) or SQLite FTS5.

Engine-specific SQL lives in hearth.catalog.search (one place, also used to repair the SQLite
triggers after a table rebuild); this migration only calls it.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    from hearth.catalog import search

    search.install(schema_editor.connection)


def backwards(apps, schema_editor):
    from hearth.catalog import search

    search.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_bilingual_content_specifications_gallery"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
