"""full-text search: FTS5 tables (SQLite) or GIN tsvector indexes (PostgreSQL)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:12:31.418205
"""

from __future__ import annotations

from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# A frozen copy of gateway/db/models/search.py at this revision: table -> searched columns.
SEARCHED = {
    'category': ('name', 'description'),
    'species': ('name', 'scientific_name', 'description'),
    'brain': ('name', 'description', 'readable_id'),
}
TRIGGER_EVENTS = ('insert', 'update', 'delete')


def upgrade() -> None:
    create = _create_fts5 if op.get_bind().dialect.name == 'sqlite' else _create_gin_index
    for table, columns in SEARCHED.items():
        create(table, columns)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table in SEARCHED:
        if sqlite:
            for event in TRIGGER_EVENTS:
                op.execute(f'DROP TRIGGER {table}_search_{event}')
            op.execute(f'DROP TABLE {table}_search')  # its shadow tables go with it
        else:
            op.execute(f'DROP INDEX ix_{table}_search')


def _create_fts5(table: str, columns: tuple[str, ...]) -> None:
    # A contentful FTS5 table keyed on the row's id: rowids of a table with a UUID key are
    # not stable (VACUUM may renumber them), so no external-content table on rowid.
    fts = f'{table}_search'
    names = ', '.join(columns)
    new = ', '.join(f'new.{column}' for column in columns)
    add_new = f'INSERT INTO {fts} (id, {names}) VALUES (new.id, {new});'
    drop_old = f'DELETE FROM {fts} WHERE id = old.id;'
    op.execute(
        f'CREATE VIRTUAL TABLE {fts} USING fts5('
        f"id UNINDEXED, {names}, tokenize = 'unicode61 remove_diacritics 2')"
    )
    op.execute(f'INSERT INTO {fts} (id, {names}) SELECT id, {names} FROM {table}')
    op.execute(f'CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {add_new} END')
    op.execute(
        f'CREATE TRIGGER {fts}_update AFTER UPDATE OF id, {names} ON {table} '
        f'BEGIN {drop_old} {add_new} END'
    )
    op.execute(f'CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {drop_old} END')


def _create_gin_index(table: str, columns: tuple[str, ...]) -> None:
    # Searches repeat this expression exactly (gateway.db.models.search.tsvector_sql), or the
    # planner cannot use the index.
    document = " || ' ' || ".join(f"coalesce({column}, '')" for column in columns)
    op.execute(
        f'CREATE INDEX ix_{table}_search ON {table} '
        f"USING gin (to_tsvector('simple', {document}))"
    )
