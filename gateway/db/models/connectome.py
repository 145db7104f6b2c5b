"""Connectome: datasets, their materializations, segments with properties, connections, and the
per-pair totals that partner rankings read (:class:`Partnership`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from gateway.db.models._base import BIGINT_ID, Seen, created_at, json_field, order_index, seen_by

# A materialization's rows are seen with it, and it with its dataset.
_OF_MATERIALIZATION = ("materialization", "materialization_id")


class ConnectomeDataset(SQLModel, table=True):
    """A connectome (BrainCircuits' ``project``, CAVE's datastack), e.g. fruitfly_fafb_flywire.

    Who sees it is its project's business: a dataset of a private project is seen by that
    project's members only; one without a project is public. ``cave_managed``: BrainCircuits
    requests for it must carry an ``Authorization-Cave`` header, as they must on
    braincircuits.io for the CAVE-managed projects (FlyWire, FANC)."""

    __tablename__ = "connectome_dataset"
    __table_args__ = seen_by(Seen.IN_PROJECT_IF_ANY)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True, index=True)
    description: str = Field(default="")
    # No ON DELETE: a project cannot go while a dataset is private to it (clearing the link
    # would make the dataset public).
    project_id: uuid.UUID | None = Field(default=None, foreign_key="project.id", index=True)
    cave_managed: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = created_at()


class Materialization(SQLModel, table=True):
    """A numbered, timestamped snapshot of a dataset; only ``valid`` ones are visible."""

    __tablename__ = "materialization"
    __table_args__ = (
        UniqueConstraint("dataset_id", "version"),
        seen_by(Seen.WITH_PARENT, parent=("connectome_dataset", "dataset_id")),
    )

    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="connectome_dataset.id", index=True, ondelete="CASCADE")
    version: int
    timestamp: datetime = Field(sa_type=DateTime())
    valid: bool = Field(default=False)
    created_at: datetime = created_at()


class Segment(SQLModel, table=True):
    """A segment (neuron) as of one materialization, with its aggregated statistics."""

    __tablename__ = "segment"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=_OF_MATERIALIZATION)

    materialization_id: int = Field(
        foreign_key="materialization.id", primary_key=True, ondelete="CASCADE"
    )
    id: int = Field(sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False})
    cell_group: str = Field(default="", max_length=100)
    nt_type: str = Field(default="", max_length=16)
    nt_score: float | None = None
    da_avg: float | None = None
    ser_avg: float | None = None
    gaba_avg: float | None = None
    glut_avg: float | None = None
    ach_avg: float | None = None
    oct_avg: float | None = None
    length_nm: int | None = Field(default=None, sa_type=BigInteger)
    area_nm: int | None = Field(default=None, sa_type=BigInteger)
    size_nm: int | None = Field(default=None, sa_type=BigInteger)
    nr_pre: int = Field(default=0)
    nr_post: int = Field(default=0)
    nr_upstream_partner: int = Field(default=0)
    nr_downstream_partner: int = Field(default=0)


class SegmentProperty(SQLModel, table=True):
    """A named property of a segment that has no column of its own (nucleus, soma, ...)."""

    __tablename__ = "segment_property"
    __table_args__ = seen_by(Seen.WITH_PARENT, parent=_OF_MATERIALIZATION)

    materialization_id: int = Field(
        foreign_key="materialization.id", primary_key=True, ondelete="CASCADE"
    )
    segment_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    name: str = Field(max_length=64, primary_key=True)
    value: dict[str, Any] = json_field({})


class Connection(SQLModel, table=True):
    """Synapses from ``pre_id`` to ``post_id`` in one neuropil, as of one materialization.

    On PostgreSQL the table is partitioned as :class:`Partnership` is (migration 0023), and its
    key is (id, materialization_id), as a partitioned table's must hold the partition key; the
    model keeps ``id`` alone as the ORM's identity (Alembic compares no keys)."""

    __tablename__ = "connection"
    __table_args__ = (
        {
            # PostgreSQL: a partition per import (``connection_m<id>``, keyed after its load
            # and then attached) and a default one for rows written any other way.
            "postgresql_partition_by": "LIST (materialization_id)",
            **seen_by(Seen.WITH_PARENT, parent=_OF_MATERIALIZATION),
        },
    )

    id: int | None = Field(default=None, sa_type=BIGINT_ID, primary_key=True)
    materialization_id: int = Field(foreign_key="materialization.id", ondelete="CASCADE")
    pre_id: int = Field(sa_type=BigInteger)
    post_id: int = Field(sa_type=BigInteger)
    neuropil: str = Field(default="", max_length=32)
    syn_count: int
    nt_type: str = Field(default="", max_length=16)


# The partitions of ``partnership`` and ``connection`` on PostgreSQL: made by migrations and
# imports, not models.
PARTNERSHIP_PARTITION_PREFIX = "partnership_"
CONNECTION_PARTITION_PREFIX = "connection_"


def partnership_partition(materialization_id: int) -> str:
    return f"{PARTNERSHIP_PARTITION_PREFIX}m{materialization_id}"


def connection_partition(materialization_id: int) -> str:
    return f"{CONNECTION_PARTITION_PREFIX}m{materialization_id}"


class Partnership(SQLModel, table=True):
    """Synapses from ``pre_id`` to ``post_id`` summed over neuropils, as of one materialization.
    Written once by the import, from the per-neuropil :class:`Connection` rows.

    Ranking a segment's partners is one range scan of an index below with ``LIMIT``: they hold
    every column the ranking reads, already in its order (count descending, then id). On
    SQLite the table is clustered on its key (no rowid), so the pairs cost no third B-tree; on
    PostgreSQL the key has no index (migration 0022: the GROUP BY that writes the pairs makes
    them unique, and nothing reads by the key).
    No transmitter column: a pair's transmitter is its presynaptic segment's (``Segment``), and
    carrying one through the import's 3-million-row GROUP BY costs about a fifth of it.
    """

    __tablename__ = "partnership"
    __table_args__ = (
        {
            "sqlite_with_rowid": False,
            # PostgreSQL: a partition per import (``partnership_m<id>``, indexed after its
            # load and then attached) and a default one for rows written any other way.
            "postgresql_partition_by": "LIST (materialization_id)",
            **seen_by(Seen.WITH_PARENT, parent=_OF_MATERIALIZATION),
        },
    )

    materialization_id: int = Field(
        foreign_key="materialization.id", primary_key=True, ondelete="CASCADE"
    )
    pre_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    post_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    syn_count: int


_pairs = Partnership.__table__.c  # type: ignore[attr-defined]
# The ranking indexes, by backend. SQLite's one table leads with the materialization. On
# PostgreSQL each materialization's pairs are a partition of their own (migration 0024), so
# the key leads with the segment: a constant leading column would cost every import's index
# sorts their abbreviated keys (the upstream index of 2.2M pairs: 4.1 s against 3.05 s,
# measured).
Index(
    "ix_partnership_downstream",
    _pairs.materialization_id,
    _pairs.pre_id,
    _pairs.syn_count.desc(),
    _pairs.post_id,
).ddl_if(dialect="sqlite")
Index(
    "ix_partnership_upstream",
    _pairs.materialization_id,
    _pairs.post_id,
    _pairs.syn_count.desc(),
    _pairs.pre_id,
).ddl_if(dialect="sqlite")
Index("ix_partnership_by_pre", _pairs.pre_id, _pairs.syn_count.desc(), _pairs.post_id).ddl_if(
    dialect="postgresql"
)
Index("ix_partnership_by_post", _pairs.post_id, _pairs.syn_count.desc(), _pairs.pre_id).ddl_if(
    dialect="postgresql"
)


# The indexes serving each list's default order (resolvers/catalog).
order_index(Materialization, "-version", "id")
