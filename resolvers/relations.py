"""Relations of the entity graph, declared once with one meaning each, for every surface.

A relation names its target entity and where the related keys are held:

- :class:`ToOne`: the target row whose key is this row's foreign key.
- :class:`ToMany`: the target rows whose foreign key(s) name this row (the reverse of a
  to-one), plus those named through link tables (many-to-many), plus the one this row's own
  column names (the owning side of a many-to-many whose first member is held on the row, as
  a session's owning project is).

Only visible rows are ever related: the link rows' and the targets' visibility rules apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table


@dataclass(frozen=True, slots=True)
class ToOne:
    """The ``target`` row whose key equals this row's ``fk``; ``writable`` when writes may
    set it (by its key, as the value named ``fk``), ``required`` when a new row must."""

    target: str
    fk: str
    description: str = ""
    writable: bool = False
    required: bool = False
    # The to-many relation this declares on the target too (a session's ``behaviors``), so
    # a new entity states both directions in its own declaration: its name, and what it means.
    reverse: str = ""
    reverse_description: str = ""


@dataclass(frozen=True, slots=True)
class Link:
    """Rows of a link ``table`` whose ``near`` column names this row; ``far`` names the
    target row."""

    table: Table
    near: str
    far: str


@dataclass(frozen=True, slots=True)
class ToMany:
    """``target`` rows related to this row: those whose ``fks`` equal this row's ``keys``,
    those the ``links`` name, and the one this row's ``own`` column names."""

    target: str
    fks: tuple[str, ...] = ()
    keys: tuple[str, ...] = ("id",)
    links: tuple[Link, ...] = ()
    own: str | None = None
    description: str = ""
    # Writes may set it as a list of keys, under this value name (the first is the owner).
    written_as: str = ""
    required: bool = False
    # The entity whose to-one relation declared this one (:attr:`ToOne.reverse`).
    declared_by: str = ""

    @property
    def writable(self) -> bool:
        return bool(self.written_as)

    @property
    def is_reverse(self) -> bool:
        """Whether only the target's own foreign keys relate it (no link table, no owner)."""
        return not self.links and self.own is None


Relation = ToOne | ToMany
