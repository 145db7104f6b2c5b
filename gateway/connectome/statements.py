"""SQL the bulk writers share. The materialization id is an integer the import created itself,
so it is written into the statements as a literal: the same text then runs on both drivers,
whatever their placeholder style."""

from __future__ import annotations

from sqlalchemy import Dialect, Index
from sqlalchemy.schema import CreateIndex

from gateway.db.models import Partnership, table

# Tables holding a materialization's rows, children first.
MATERIALIZED_TABLES = ("partnership", "connection", "segment_property", "segment")

SEGMENT_COLUMNS = (
    "materialization_id, id, cell_group, nt_type, nt_score, "
    "da_avg, ser_avg, gaba_avg, glut_avg, ach_avg, oct_avg, "
    "nr_pre, nr_post, nr_upstream_partner, nr_downstream_partner"
)
CONNECTION_COLUMNS = ("materialization_id", "pre_id", "post_id", "neuropil", "syn_count", "nt_type")


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


def insert_partnerships(materialization_id: int, first_connection_id: int) -> str:
    """Per-pair totals. The id bound skips older materializations' rows without an index
    (a materialization's connection rows are appended, so its ids are the newest)."""
    m = materialization_id
    return (
        "INSERT INTO partnership (materialization_id, pre_id, post_id, syn_count) "
        f"SELECT {m}, pre_id, post_id, SUM(syn_count) FROM connection "
        f"WHERE id >= {first_connection_id} AND materialization_id = {m} "
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


def publish(materialization_id: int) -> str:
    return f"UPDATE materialization SET valid = TRUE WHERE id = {materialization_id}"
