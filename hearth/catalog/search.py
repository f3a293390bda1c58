"""Full-text product search, English and French, on both databases (ADR 0006).

The one place that speaks each engine's dialect, behind two functions: :func:`install` (idempotent)
builds the index and :func:`ranked_product_ids` asks it. Both engines get the same terms, made of
letters and digits only by :func:`hearth.catalog.rules.search_terms`, and passed as parameters.

- PostgreSQL: two text search configurations, ``hearth_en`` and ``hearth_fr`` (the ``english`` and
  ``french`` Snowball stemmers after the ``unaccent`` dictionary, so "éco" and "eco" are one word),
  two stored generated ``tsvector`` columns on ``catalog_product`` (name weighted A, summary B,
  description C; the French one falls back to the English text where the French is missing), a GIN
  index on each; ranked by ``ts_rank`` over both.
- SQLite: an FTS5 table over the product's six texts, with external content
  (``content='catalog_product'``), tokenizer ``porter unicode61 remove_diacritics 2`` (accents
  folded; the Porter stemmer strips plural and verb endings, which also folds most French plurals),
  kept in step by three triggers on ``catalog_product``, so saves, ``update()`` and
  ``bulk_create()`` all reach it; ranked by ``bm25`` with the names weighing most.

Why triggers and a re-check after every migrate on SQLite: Django rebuilds an SQLite table to alter
it (copy, drop, rename), and dropping the table drops its triggers. :func:`repair` runs after
every ``migrate`` (``post_migrate``), recreates what is missing and then rebuilds the index.
"""

# ruff: noqa: S608 (SQL built only from this module's constants; search terms go as parameters)

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from hearth.catalog import rules

FTS_TABLE = "catalog_product_fts"
_FTS_COLUMNS = ("name", "name_fr", "summary", "summary_fr", "description", "description_fr")
# bm25 weights, in the column order above: a name match ranks before a summary match, before a
# description match.
_BM25_WEIGHTS = (10.0, 10.0, 4.0, 4.0, 1.0, 1.0)
_TRIGGERS = ("catalog_product_fts_ai", "catalog_product_fts_ad", "catalog_product_fts_au")


def _sqlite_statements() -> list[str]:
    cols = ", ".join(_FTS_COLUMNS)
    new = ", ".join(f"new.{c}" for c in _FTS_COLUMNS)
    old = ", ".join(f"old.{c}" for c in _FTS_COLUMNS)
    delete_old = (
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {cols}) VALUES ('delete', old.id, {old});"
    )
    insert_new = f"INSERT INTO {FTS_TABLE}(rowid, {cols}) VALUES (new.id, {new});"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({cols}, "
        "content='catalog_product', content_rowid='id', "
        "tokenize='porter unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER IF NOT EXISTS catalog_product_fts_ai AFTER INSERT ON catalog_product "
        f"BEGIN {insert_new} END",
        f"CREATE TRIGGER IF NOT EXISTS catalog_product_fts_ad AFTER DELETE ON catalog_product "
        f"BEGIN {delete_old} END",
        f"CREATE TRIGGER IF NOT EXISTS catalog_product_fts_au AFTER UPDATE ON catalog_product "
        f"BEGIN {delete_old} {insert_new} END",
    ]


def _tsvector(config: str, name: str, summary: str, description: str) -> str:
    def part(column: str, weight: str) -> str:
        return f"setweight(to_tsvector('{config}'::regconfig, coalesce({column}, '')), '{weight}')"

    return f"{part(name, 'A')} || {part(summary, 'B')} || {part(description, 'C')}"


def _postgres_statements() -> list[str]:
    statements = ["CREATE EXTENSION IF NOT EXISTS unaccent"]
    for config, stemmer in (("hearth_en", "english"), ("hearth_fr", "french")):
        statements += [
            "DO $$ BEGIN "
            f"IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{config}') THEN "
            f"CREATE TEXT SEARCH CONFIGURATION {config} (COPY = {stemmer}); "
            f"ALTER TEXT SEARCH CONFIGURATION {config} ALTER MAPPING FOR "
            f"hword, hword_part, word WITH unaccent, {stemmer}_stem; "
            "END IF; END $$",
        ]
    french = _tsvector(
        "hearth_fr",
        "coalesce(nullif(name_fr, ''), name)",
        "coalesce(nullif(summary_fr, ''), summary)",
        "coalesce(nullif(description_fr, ''), description)",
    )
    statements += [
        "ALTER TABLE catalog_product ADD COLUMN IF NOT EXISTS search_en tsvector "
        f"GENERATED ALWAYS AS ({_tsvector('hearth_en', 'name', 'summary', 'description')}) STORED",
        "ALTER TABLE catalog_product ADD COLUMN IF NOT EXISTS search_fr tsvector "
        f"GENERATED ALWAYS AS ({french}) STORED",
        "CREATE INDEX IF NOT EXISTS catalog_product_search_en ON catalog_product "
        "USING gin (search_en)",
        "CREATE INDEX IF NOT EXISTS catalog_product_search_fr ON catalog_product "
        "USING gin (search_fr)",
    ]
    return statements


def install(connection: BaseDatabaseWrapper) -> None:
    """Create the search index of ``connection``'s database where it is missing (idempotent)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master "
                "WHERE type = 'trigger' AND name IN (%s, %s, %s)",
                _TRIGGERS,
            )
            complete = cursor.fetchone()[0] == len(_TRIGGERS)
            if complete:
                return
            for statement in _sqlite_statements():
                cursor.execute(statement)
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for statement in _postgres_statements():
                cursor.execute(statement)


def repair(connection: BaseDatabaseWrapper) -> None:
    """On SQLite, once the index's migration has run, put back any trigger a table rebuild
    dropped, and rebuild the index from the products (called after every ``migrate``)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = %s", [FTS_TABLE]
        )
        if cursor.fetchone()[0]:
            install(connection)


def uninstall(connection: BaseDatabaseWrapper) -> None:
    """Drop the search index (the reverse of the migration that installs it)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for trigger in _TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
        elif connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE catalog_product DROP COLUMN IF EXISTS search_en")
            cursor.execute("ALTER TABLE catalog_product DROP COLUMN IF EXISTS search_fr")
            cursor.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS hearth_en")
            cursor.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS hearth_fr")


def ranked_product_ids(
    connection: BaseDatabaseWrapper, terms: list[str], *, limit: int
) -> list[int]:
    """The ids of the products on sale matching every term (each as a prefix, in English or in
    French), best first: name matches before summary matches before description matches."""
    if not terms:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT p.id FROM catalog_product p, "
                "(SELECT to_tsquery('hearth_en', %s) AS en, to_tsquery('hearth_fr', %s) AS fr) q "
                "WHERE p.is_active AND (p.search_en @@ q.en OR p.search_fr @@ q.fr) "
                "ORDER BY ts_rank(p.search_en, q.en) + ts_rank(p.search_fr, q.fr) DESC, "
                "p.position, p.name, p.id LIMIT %s",
                [rules.tsquery(terms), rules.tsquery(terms), limit],
            )
        else:
            weights = ", ".join(str(w) for w in _BM25_WEIGHTS)
            cursor.execute(
                f"SELECT p.id FROM {FTS_TABLE} f JOIN catalog_product p ON p.id = f.rowid "
                f"WHERE {FTS_TABLE} MATCH %s AND p.is_active "
                f"ORDER BY bm25({FTS_TABLE}, {weights}), p.position, p.name, p.id LIMIT %s",
                [rules.fts5_query(terms), limit],
            )
        return [row[0] for row in cursor.fetchall()]
