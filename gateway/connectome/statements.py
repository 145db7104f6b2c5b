"""SQL the bulk writers share. The materialization id is an integer the import created itself,
so it is written into the statements as a literal: the same text then runs on both drivers,
whatever their placeholder style."""

from __future__ import annotations

from sqlalchemy import Dialect, Index
from sqlalchemy.schema import CreateIndex
from sqlmodel import SQLModel

from gateway.db.models import Partnership, table
from gateway.db.models._base import declared_for

# Tables holding a materialization's rows, children first.
MATERIALIZED_TABLES = ("partnership", "connection", "segment_property", "segment")

SEGMENT_COLUMNS = (
    "materialization_id, id, cell_group, nt_type, nt_score, "
    "da_avg, ser_avg, gaba_avg, glut_avg, ach_avg, oct_avg, "
    "nr_pre, nr_post, nr_upstream_partner, nr_downstream_partner"
)
CONNECTION_COLUMNS = (
    "id", "materialization_id", "pre_id", "post_id", "neuropil", "syn_count", "nt_type",
)  # fmt: skip
# An import numbers its materialization's connections itself, m * 2^32 + 1, 2, ...: unique
# across materializations without the table's sequence, whose per-row draw cost a quarter of
# the server's time for a PostgreSQL COPY (3M rows: 2.4 s with the sequence, 1.6 s without,
# measured), and a lower bound that finds them.
CONNECTION_ID_BITS = 32


def connection_ids(materialization_id: int) -> range:
    """The ids an import gives the connections of materialization ``materialization_id``."""
    first = materialization_id << CONNECTION_ID_BITS
    return range(first + 1, first + (1 << CONNECTION_ID_BITS))


def _connections_of(materialization_id: int) -> str:
    """A materialization's connection rows (SQLite). The id bound skips older
    materializations' rows without an index (a rowid range)."""
    return (
        f"FROM connection WHERE id >= {connection_ids(materialization_id).start} "
        f"AND materialization_id = {materialization_id}"
    )


def rebuilt_indexes() -> list[Index]:
    """The partnership indexes worth dropping before a load and building after it: the
    upstream one. Pairs arrive sorted by (pre, post), so the downstream index takes them at
    its right edge almost in order, which costs less than building it afterwards (measured);
    the upstream one would take them in random order."""
    return [
        index for index in table(Partnership).indexes if index.name == "ix_partnership_upstream"
    ]


def create_index(index: Index, dialect: Dialect) -> str:
    """The DDL of a model's index, so a rebuilt index is exactly the migrated one."""
    return str(CreateIndex(index).compile(dialect=dialect))


def upsert_cell_stats(materialization_id: int) -> tuple[str, str, str]:
    """Sizes onto the segment rows (a segment missing from neurons.csv gets a row): the
    statement's head, one row's ``VALUES`` tuple (four placeholders), and its tail."""
    return (
        f"INSERT INTO segment ({SEGMENT_COLUMNS}, length_nm, area_nm, size_nm)",
        f"({materialization_id}, ?, '', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
        "0, 0, 0, 0, ?, ?, ?)",
        "ON CONFLICT (materialization_id, id) DO UPDATE SET length_nm = excluded.length_nm, "
        "area_nm = excluded.area_nm, size_nm = excluded.size_nm",
    )


def partition_indexes(partition: str, dialect: Dialect) -> dict[str, str]:
    """The DDL of ``partnership``'s indexes for one of its partitions (PostgreSQL), by the
    model's index name: the model's own, so attaching the partition adopts them instead of
    building them. (No key index: see migration 0022.)"""
    statements: dict[str, str] = {}
    for index in table(Partnership).indexes:
        assert index.name is not None
        if declared_for(index, dialect.name):
            ddl = create_index(index, dialect)
            named = f"{partition}_{index.name} ON {partition} "
            statements[index.name] = ddl.replace(f"{index.name} ON partnership ", named)
    return statements


def insert_partnerships(materialization_id: int, into: str = "partnership") -> str:
    """Per-pair totals."""
    m = materialization_id
    return (
        f"INSERT INTO {into} (materialization_id, pre_id, post_id, syn_count) "
        f"SELECT {m}, pre_id, post_id, SUM(syn_count) {_connections_of(m)} "
        "GROUP BY pre_id, post_id"
    )


def has_other_partnerships(materialization_id: int) -> str:
    return f"SELECT 1 FROM partnership WHERE materialization_id <> {materialization_id} LIMIT 1"


def aggregate_segments(materialization_id: int) -> list[str]:
    """Per-segment totals from the partnerships, each side read in the order of its ranking
    index (a streaming aggregate, no sort). A segment that appears only in connections gets a
    row of its own, so every partner has its aggregates."""
    m = materialization_id
    # id, cell_group, nt_type, then nt_score and the six transmitter scores: unknown here.
    blank = f"{m}, {{key}}, '', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL"
    return [
        f"INSERT INTO segment ({SEGMENT_COLUMNS}) "
        f"SELECT {blank.format(key='pre_id')}, SUM(syn_count), 0, 0, COUNT(*) "
        f"FROM partnership WHERE materialization_id = {m} GROUP BY pre_id "
        "ON CONFLICT (materialization_id, id) DO UPDATE SET "
        "nr_pre = excluded.nr_pre, nr_downstream_partner = excluded.nr_downstream_partner",
        f"INSERT INTO segment ({SEGMENT_COLUMNS}) "
        f"SELECT {blank.format(key='post_id')}, 0, SUM(syn_count), COUNT(*), 0 "
        f"FROM partnership WHERE materialization_id = {m} GROUP BY post_id "
        "ON CONFLICT (materialization_id, id) DO UPDATE SET "
        "nr_post = excluded.nr_post, nr_upstream_partner = excluded.nr_upstream_partner",
    ]


# PostgreSQL's staging tables for the files' segment rows: temporary (no WAL), kept past the
# commit of the load for the segment rows written after it, and dropped at the end.
STAGED_NEURONS = "neuron_load"
STAGED_CELL_STATS = "cell_stats_load"
NEURON_LOAD_COLUMNS = (
    "id", "cell_group", "nt_type", "nt_score",
    "da_avg", "ser_avg", "gaba_avg", "glut_avg", "ach_avg", "oct_avg",
)  # fmt: skip


CELL_STATS_LOAD_COLUMNS = ("id", "length_nm", "area_nm", "size_nm")


def create_segment_staging() -> list[str]:
    """The temporary tables :func:`insert_segments_once` reads (PostgreSQL)."""
    floats = ", ".join(f"{name} FLOAT8" for name in NEURON_LOAD_COLUMNS[3:])
    return [
        f"CREATE TEMP TABLE {STAGED_NEURONS} (id BIGINT, cell_group TEXT, nt_type TEXT, {floats})",
        f"CREATE TEMP TABLE {STAGED_CELL_STATS} "
        f"({' BIGINT, '.join(CELL_STATS_LOAD_COLUMNS)} BIGINT)",
    ]


def drop_segment_staging() -> str:
    return f"DROP TABLE IF EXISTS {STAGED_NEURONS}, {STAGED_CELL_STATS}"


def create_connection_table(materialization_id: int, into: str) -> list[str]:
    """A table ``into`` for a materialization's connections, to attach to ``connection`` as
    its partition (PostgreSQL): no key yet (:func:`connection_key`); the CHECK on the
    materialization spares ``ATTACH PARTITION`` a scan proving every row belongs, and the
    foreign key, the one the parent's partitions share, a scan validating it (it is adopted,
    being valid on an empty table). The other CHECK and the default are for lines the
    database parses itself (``COPY ... (FORMAT csv)``), which carry neither the
    materialization nor a sign the files' parser would refuse."""
    m = materialization_id
    return [
        f"CREATE TABLE {into} (LIKE connection, CHECK (materialization_id = {m}), "
        "CHECK (pre_id >= 0 AND post_id >= 0 AND syn_count >= 0), "
        "FOREIGN KEY (materialization_id) REFERENCES materialization (id) ON DELETE CASCADE)",
        f"ALTER TABLE {into} ALTER materialization_id SET DEFAULT {m}",
    ]


def connection_key(table: str) -> list[str]:
    """The key of a connection partition, built after its load (PostgreSQL): a unique index
    made the primary key, which ``ATTACH PARTITION`` adopts as its share of the parent's."""
    return [
        f"CREATE UNIQUE INDEX {table}_pkey ON {table} (id, materialization_id)",
        f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY USING INDEX {table}_pkey",
    ]


def create_pairs_table(materialization_id: int, into: str) -> str:
    """An empty table ``into`` for a materialization's pairs (PostgreSQL), to attach to
    ``partnership`` as its partition: its columns and NOT NULLs, and the CHECK that spares
    ``ATTACH PARTITION`` a scan proving every row belongs."""
    return (
        f"CREATE TABLE {into} (LIKE partnership, CHECK (materialization_id = {materialization_id}))"
    )


# The pairs are written by this many statements at once, each grouping the pairs of its share
# of presynaptic segments, on a connection of its own (PostgreSQL): one ``CREATE TABLE AS``
# runs its GROUP BY on parallel workers, but writes every row (and its WAL) on one core.
PAIR_SHARES = 2


def insert_pair_share(materialization_id: int, into: str, connections: str, share: int) -> str:
    """:func:`insert_partnerships` for the presynaptic segments of one share (``pre_id %
    PAIR_SHARES``), from the table ``connections`` holding the materialization's connections
    and nothing else."""
    return (
        f"INSERT INTO {into} (materialization_id, pre_id, post_id, syn_count) "
        f"SELECT {materialization_id}, pre_id, post_id, SUM(syn_count) FROM {connections} "
        f"WHERE pre_id % {PAIR_SHARES} = {share} GROUP BY pre_id, post_id"
    )


def insert_segments_once(materialization_id: int, pairs: str) -> str:
    """Every segment row of a materialization in one statement (PostgreSQL): the staged
    neurons and cell stats with the per-segment totals of ``pairs``, so each row is written
    once (an update there writes a new row version). A segment found in only some of them
    gets blanks for the rest, as :func:`aggregate_segments` and :func:`upsert_cell_stats`
    give it on SQLite."""
    m = materialization_id
    floats = ", ".join(f"neuron.{name}" for name in NEURON_LOAD_COLUMNS[3:])
    return (
        f"WITH down AS (SELECT pre_id AS id, SUM(syn_count) AS synapses, COUNT(*) AS partners "
        f"FROM {pairs} GROUP BY pre_id), "
        f"up AS (SELECT post_id AS id, SUM(syn_count) AS synapses, COUNT(*) AS partners "
        f"FROM {pairs} GROUP BY post_id) "
        f"INSERT INTO segment ({SEGMENT_COLUMNS}, length_nm, area_nm, size_nm) "
        f"SELECT {m}, id, COALESCE(neuron.cell_group, ''), COALESCE(neuron.nt_type, ''), "
        f"{floats}, COALESCE(down.synapses, 0), COALESCE(up.synapses, 0), "
        "COALESCE(up.partners, 0), COALESCE(down.partners, 0), "
        "stats.length_nm, stats.area_nm, stats.size_nm "
        f"FROM {STAGED_NEURONS} AS neuron FULL JOIN {STAGED_CELL_STATS} AS stats USING (id) "
        "FULL JOIN down USING (id) FULL JOIN up USING (id)"
    )


def too_large_totals(materialization_id: int, largest: int) -> str:
    """A segment whose synapses, made or received, add up to more than ``largest``: no pair's
    total is larger than its segments' (SQLite, whose integers have 64 bits whatever the
    column)."""
    return (
        f"SELECT 1 FROM segment WHERE materialization_id = {materialization_id} "
        f"AND (nr_pre > {largest} OR nr_post > {largest}) LIMIT 1"
    )


def count_segments(materialization_id: int) -> str:
    return f"SELECT COUNT(*) FROM segment WHERE materialization_id = {materialization_id}"


def delete_rows(materialization_id: int) -> list[str]:
    m = materialization_id
    return [
        *(f"DELETE FROM {name} WHERE materialization_id = {m}" for name in MATERIALIZED_TABLES),
        f"DELETE FROM materialization WHERE id = {m}",
        # A dataset the failed import created has nothing else: it goes too (a dataset is
        # created with its first materialization, in one transaction, so no other is empty).
        "DELETE FROM connectome_dataset WHERE NOT EXISTS "
        "(SELECT 1 FROM materialization WHERE materialization.dataset_id = connectome_dataset.id)",
    ]


def current_materialization(name_placeholder: str) -> str:
    """The newest published materialization of a dataset, (id, version); the dataset's name
    is the statement's one parameter."""
    return (
        "SELECT materialization.id, materialization.version FROM materialization "
        "JOIN connectome_dataset ON connectome_dataset.id = materialization.dataset_id "
        f"WHERE connectome_dataset.name = {name_placeholder} AND materialization.valid "
        "ORDER BY materialization.version DESC LIMIT 1"
    )


def copy_rows(source: int, target: int) -> list[str]:
    """Every row of materialization ``source`` again, as rows of ``target`` (a new
    materialization that starts as the current one and then gains a property table)."""
    statements = []
    # The copied connections keep their numbers, moved into the target's id range.
    shift = connection_ids(target).start - connection_ids(source).start
    for name in reversed(MATERIALIZED_TABLES):
        columns = [c.name for c in SQLModel.metadata.tables[name].columns]
        columns.remove("materialization_id")
        values = [f"id + {shift}" if (name, c) == ("connection", "id") else c for c in columns]
        statements.append(
            f"INSERT INTO {name} (materialization_id, {', '.join(columns)}) "
            f"SELECT {target}, {', '.join(values)} FROM {name} "
            f"WHERE materialization_id = {source}"
        )
    return statements


def _literal(text: str) -> str:
    # Property names are checked words (property_files.checked_name); quoted all the same.
    return "'" + text.replace("'", "''") + "'"


def staged_property(name: str) -> str:
    """The rows of property ``name`` staged in SQLite's temporary ``property_load``."""
    return f"(SELECT segment_id, value FROM property_load WHERE name = {_literal(name)})"


def replace_property(materialization_id: int, name: str, staged: str) -> list[str]:
    """Property ``name`` of a materialization, replaced by the rows ``staged`` selects
    (``segment_id, value``)."""
    m, literal = materialization_id, _literal(name)
    return [
        f"DELETE FROM segment_property WHERE materialization_id = {m} AND name = {literal}",
        "INSERT INTO segment_property (materialization_id, segment_id, name, value) "
        f"SELECT {m}, segment_id, {literal}, value FROM {staged} AS staged",
    ]


def publish(materialization_id: int) -> str:
    return f"UPDATE materialization SET valid = TRUE WHERE id = {materialization_id}"
