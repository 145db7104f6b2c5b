"""Full-text search indexes, declared once: which text columns of a table a search looks in,
and how each database's own engine matches a search against them.

- SQLite: an FTS5 table ``<table>_search`` holding the row's ``id`` (unindexed) and a copy of
  the columns, tokenized by ``unicode61 remove_diacritics 2`` and kept in step with the table
  by AFTER INSERT / UPDATE / DELETE triggers. It is keyed on ``id``, not on rowids, which
  VACUUM may renumber in a table with a UUID key.
- PostgreSQL: a GIN index ``ix_<table>_search`` on ``to_tsvector('simple', ...)`` of the
  columns. A search repeats exactly that expression, or the planner cannot use the index.

Migration 0003 builds both from its own frozen copy of these declarations. The models do not
declare them, so schema comparison leaves them out (:func:`include_in_schema_comparison`).
Alembic compares no triggers, so those need no filter. A later migration that rebuilds one of
these tables on SQLite (batch mode copies, drops and renames it) drops its triggers too, and
must create them again; tests/db/test_migrations.py checks that they exist.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, ColumnElement, String, Table, bindparam, false
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import FromClause
from sqlalchemy.sql.visitors import InternalTraversal

from gateway.db.models import Brain, Category, Species, table
from gateway.db.models.connectome import (
    CONNECTION_PARTITION_PREFIX,
    PARTNERSHIP_PARTITION_PREFIX,
)

if TYPE_CHECKING:
    from alembic.runtime.environment import NameFilterParentNames, NameFilterType

# The tables FTS5 keeps next to a table ``x``: x_data, x_idx, x_content, x_docsize, x_config.
FTS5_SHADOW_SUFFIXES = ("data", "idx", "content", "docsize", "config")


@dataclass(frozen=True)
class SearchIndex:
    """The text ``columns`` of ``table`` a search looks in; rows are found by their ``id``."""

    table: Table
    columns: tuple[str, ...]

    @property
    def fts_table(self) -> str:
        """SQLite's FTS5 table."""
        return f"{self.table.name}_search"

    @property
    def gin_index(self) -> str:
        """PostgreSQL's GIN index."""
        return f"ix_{self.table.name}_search"

    @property
    def sqlite_tables(self) -> tuple[str, ...]:
        """The FTS5 table and the shadow tables FTS5 creates for it."""
        return (self.fts_table, *(f"{self.fts_table}_{s}" for s in FTS5_SHADOW_SUFFIXES))


CATEGORY_SEARCH = SearchIndex(table(Category), ("name", "description"))
SPECIES_SEARCH = SearchIndex(table(Species), ("name", "scientific_name", "description"))
BRAIN_SEARCH = SearchIndex(table(Brain), ("name", "description", "readable_id"))
SEARCH_INDEXES = (CATEGORY_SEARCH, SPECIES_SEARCH, BRAIN_SEARCH)

_SEARCH_TABLES = frozenset(name for index in SEARCH_INDEXES for name in index.sqlite_tables)
_SEARCH_GIN_INDEXES = frozenset(index.gin_index for index in SEARCH_INDEXES)


_PARTITION_PREFIXES = (PARTNERSHIP_PARTITION_PREFIX, CONNECTION_PARTITION_PREFIX)


def include_in_schema_comparison(
    name: str | None, type_: NameFilterType, parent_names: NameFilterParentNames
) -> bool:
    """Alembic's ``include_name`` hook: compare everything but the search tables and indexes,
    and the partitions of ``partnership`` and ``connection``, which migrations and imports
    create and the models do not declare."""
    if type_ == "table":
        partition = name is not None and name.startswith(_PARTITION_PREFIXES)
        return name not in _SEARCH_TABLES and not partition
    if type_ == "index":
        return name not in _SEARCH_GIN_INDEXES
    return True


# --- matching ---------------------------------------------------------------------------------

# Runs of letters and digits: \w without "_", which both engines' tokenizers split words on.
_WORD = re.compile(r"[^\W_]+")


def search_words(text: str) -> tuple[str, ...]:
    """The words of a search text. NFC first, so an accent typed as a combining mark stays
    part of its letter (a lone combining mark is not a word character)."""
    return tuple(_WORD.findall(unicodedata.normalize("NFC", text)))


def fts5_query(words: Sequence[str]) -> str:
    """An FTS5 query requiring every word as a prefix: each word a quoted string (quotes
    doubled) followed by ``*``, so nothing the user typed is read as FTS5 syntax."""
    return " AND ".join('"' + word.replace('"', '""') + '"*' for word in words)


def _without_diacritics(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def _tsquery_prefix(word: str) -> str:
    # A quoted lexeme (backslashes and quotes escaped) with :*, never tsquery operator syntax.
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "':*"


def tsquery(words: Sequence[str]) -> str:
    """A ``to_tsquery`` text requiring every word as a prefix. The 'simple' configuration
    keeps diacritics, so a word typed with them also matches its bare form: ``Mús`` is
    ``('mús':* | 'mus':*)``."""
    terms = []
    for word in words:
        forms = [_tsquery_prefix(form) for form in dict.fromkeys((word, _without_diacritics(word)))]
        terms.append(forms[0] if len(forms) == 1 else f"({' | '.join(forms)})")
    return " & ".join(terms)


class SearchMatch(ColumnElement[bool]):
    """True for the rows of ``index.table`` that contain every one of ``words`` (each as a
    word prefix), compiled for each database's own text search. It carries the query of
    each engine as a bound parameter (a dialect renders only its own), so a statement is
    compiled and cached once whatever is searched for."""

    type = Boolean()
    _is_implicitly_boolean = True  # a predicate: SQLite needs no "= 1" after it
    inherit_cache = True
    _traverse_internals = [
        ("index", InternalTraversal.dp_plain_obj),
        ("fts5", InternalTraversal.dp_clauseelement),
        ("tsquery", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, index: SearchIndex, words: Sequence[str]) -> None:
        self.index = index
        self.fts5 = bindparam(None, fts5_query(words), type_=String())
        self.tsquery = bindparam(None, tsquery(words), type_=String())

    @property
    def _from_objects(self) -> list[FromClause]:
        return [self.index.table]


def tsvector_sql(columns: Sequence[str]) -> str:
    """The document PostgreSQL indexes: the columns joined by spaces, NULL as empty text.
    Migration 0003 builds its index on this very expression (with bare column names)."""
    document = " || ' ' || ".join(f"coalesce({column}, '')" for column in columns)
    return f"to_tsvector('simple', {document})"


@compiles(SearchMatch, "sqlite")
def _compile_fts5(element: SearchMatch, compiler: SQLCompiler, **kw: Any) -> str:
    key = compiler.process(element.index.table.c.id, **kw)
    fts = compiler.preparer.quote(element.index.fts_table)
    query = compiler.process(element.fts5, **kw)
    return f"{key} IN (SELECT {fts}.id FROM {fts} WHERE {fts} MATCH {query})"


@compiles(SearchMatch, "postgresql")
def _compile_tsvector(element: SearchMatch, compiler: SQLCompiler, **kw: Any) -> str:
    columns = [
        compiler.process(element.index.table.c[name], **kw) for name in element.index.columns
    ]
    query = compiler.process(element.tsquery, **kw)
    return f"{tsvector_sql(columns)} @@ to_tsquery('simple', {query})"


def matches(index: SearchIndex, text: str) -> ColumnElement[bool]:
    """Rows of ``index.table`` matching the search ``text``: every word of it (runs of letters
    and digits) as a word prefix, in any of the indexed columns, ignoring case. Text without
    a word matches nothing.

    The engines differ where their tokenizers do:

    - SQLite (``unicode61 remove_diacritics 2``) folds case and diacritics on both sides:
      ``mus``, ``MÚS`` and ``mús`` all find "Mus" and "Mús".
    - PostgreSQL ('simple') folds case (by the database's locale) but keeps diacritics, and
      has no unaccent without an extension: ``Mús`` also searches for ``mus`` and finds
      "Mus", but ``mus`` does not find "Mús". Its parser also keeps some compounds whole as
      well as in parts (``mouse-cortex`` is ``mouse-cortex``, ``mouse``, ``cortex``), and some
      only whole (host names, file paths, e-mail addresses). A word it does not read as one
      (``½``, ``²``) drops out of the query there, where SQLite requires it.
    """
    words = search_words(text)
    return SearchMatch(index, words) if words else false()
