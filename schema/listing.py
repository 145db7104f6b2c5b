"""The fields every entity gets: a list (limit/offset), a Relay connection (first/after) and
lookups by a unique key. One factory writes them all, so every entity pages, filters, counts
and reads what is selected under it the same way (``resolvers.read``)."""

import base64
from collections.abc import Sequence
from typing import Annotated, Any, Generic, Optional, TypeVar

import strawberry
from strawberry.types.field import StrawberryField
from strawberry.utils.str_converters import to_camel_case

from gateway.errors import QueryError
from resolvers.query import Filter, QuerySpec, Window
from resolvers.read import follow, nodes_of, read
from schema.filters import inputs_of, to_condition, to_order
from schema.relations import Registry, RowType, field_details, include_of, selects, under

# Deliberately no ``from __future__ import annotations`` here: the resolvers below are built at
# schema-build time and carry real (not string) annotations that Strawberry reads.

T = TypeVar("T")
_CURSOR_PREFIX = "offset:"
# Set on the resolver of a root field that may be compiled (schema.compiled): ("list", row
# type) or ("one", row type, key field).
COMPILED_ROOT = "compiled_root"
MAX_CURSOR_OFFSET = 2**31 - 1  # the range of the GraphQL Int `offset:` takes


# What the arguments of every list, connection and to-many relation field mean.
WHERE = "Only rows matching these conditions."
ORDER_BY = "Sort keys, most significant first; ties fall back to the default order, then the id."
LIMIT = "How many rows at most (default and maximum: NEUROGATE_MAX_PAGE_SIZE, 100 unless set)."
OFFSET = "How many rows to skip first."
FIRST = LIMIT
AFTER = "Continue after the edge with this cursor (a previous page's pageInfo.endCursor)."


@strawberry.type(description="Where a page of a connection is in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether rows follow this page.")
    has_previous_page: bool = strawberry.field(description="Whether rows precede this page.")
    start_cursor: Optional[str] = strawberry.field(  # noqa: UP045
        description="The cursor of the page's first edge; null for an empty page."
    )
    end_cursor: Optional[str] = strawberry.field(  # noqa: UP045
        description="The cursor of the page's last edge (pass it as after:); null if empty."
    )


@strawberry.type(description="One row of a connection page, with its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Where this row is (opaque; pass it as after:).")
    node: T = strawberry.field(description="The row.")


@strawberry.type(description="One page of rows (Relay connection): first/after paging.")
class Connection(Generic[T]):
    total_count: Optional[int] = strawberry.field(  # noqa: UP045
        description="How many rows match in all."
    )
    page_info: PageInfo = strawberry.field(description="Where this page is in the whole list.")
    edges: list[Edge[T]] = strawberry.field(description="The page's rows with their cursors.")
    nodes: list[T] = strawberry.field(description="The page's rows.")


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if not text.startswith(_CURSOR_PREFIX):
            raise ValueError(cursor)
        offset = int(text[len(_CURSOR_PREFIX) :])
        if not 0 <= offset <= MAX_CURSOR_OFFSET:
            raise ValueError(cursor)
    except (ValueError, UnicodeDecodeError) as exc:
        raise QueryError(f"Invalid cursor {cursor!r}.") from exc
    return offset


async def as_objects(
    info: strawberry.Info,
    registry: Registry,
    type_: type[RowType],
    rows: Sequence[Any],
    details: Any = None,
    *,
    ctx: Any = None,
) -> list[Any]:
    """Rows (a mutation's, say) as nodes of ``type_``, with every relation selected under
    them followed (``details``: the selection, default the current field's; ``ctx``: the
    request's), each cast to ``type_`` for result unions."""
    if not rows:
        return []
    ctx = ctx or info.context
    entity = type_.entity
    nodes = nodes_of(entity, rows[0]._fields, rows)
    if details is None:
        details = field_details(info)
    await follow(ctx, entity, nodes, include_of(info, registry, type_.__name__, details))
    return [strawberry.cast(type_, node) for node in nodes]


class FieldFactory:
    """Builds the query fields of row types that share one :class:`Registry`."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    async def page(
        self,
        info: strawberry.Info,
        type_: type[RowType],
        spec: QuerySpec,
        details: Any,
        *,
        with_total: bool,
    ) -> tuple[list[Any], int | None]:
        """One page of ``type_`` as nodes with everything selected under them read, and the
        total when asked for."""
        include = include_of(info, self.registry, type_.__name__, details)
        found = await read(info.context, type_.entity, spec, include, with_total=with_total)
        return found.nodes, found.total

    def list_field(self, type_: type[RowType], description: str) -> StrawberryField:
        entity = type_.entity
        Where, Order = inputs_of(entity)
        factory = self

        async def resolve(
            info: strawberry.Info,
            where: Any = None,
            order_by: Any = None,
            limit: Optional[int] = None,  # noqa: UP045
            offset: int = 0,
        ) -> Any:
            spec = QuerySpec(
                where=to_condition(where, entity),
                order=to_order(order_by),
                window=Window(limit=_default(info, limit), offset=offset),
            )
            objects, _ = await factory.page(
                info, type_, spec, field_details(info), with_total=False
            )
            return objects

        setattr(resolve, COMPILED_ROOT, ("list", type_))
        resolve.__annotations__ = {
            "info": strawberry.Info,
            **window_arguments(Where, Order),
            "return": list[type_],  # type: ignore[valid-type]
        }
        return strawberry.field(resolver=resolve, description=description)

    def connection_field(self, type_: type[RowType], description: str) -> StrawberryField:
        entity = type_.entity
        Where, Order = inputs_of(entity)
        factory = self

        async def resolve(
            info: strawberry.Info,
            where: Any = None,
            order_by: Any = None,
            first: Optional[int] = None,  # noqa: UP045
            after: Optional[str] = None,  # noqa: UP045
        ) -> Any:
            offset = decode_cursor(after) + 1 if after is not None else 0
            spec = QuerySpec(
                where=to_condition(where, entity),
                order=to_order(order_by),
                window=Window(limit=_default(info, first), offset=offset),
            )
            details = field_details(info)
            connection = f"{type_.__name__}Connection"
            wants_total = selects(info, connection, details, "totalCount") or selects(
                info, connection, details, "pageInfo"
            )
            node_details = under(info, connection, details, "nodes") + under(
                info, connection, details, "edges", "node"
            )
            nodes, total = await factory.page(
                info, type_, spec, node_details, with_total=wants_total
            )
            edges = [Edge(cursor=encode_cursor(offset + i), node=n) for i, n in enumerate(nodes)]
            return Connection(
                total_count=total,
                page_info=PageInfo(
                    has_next_page=total is not None and offset + len(nodes) < total,
                    has_previous_page=offset > 0,
                    start_cursor=edges[0].cursor if edges else None,
                    end_cursor=edges[-1].cursor if edges else None,
                ),
                edges=edges,
                nodes=nodes,
            )

        setattr(resolve, COMPILED_ROOT, ("page", type_))

        resolve.__annotations__ = {
            "info": strawberry.Info,
            "where": Annotated[Optional[Where], _described(WHERE)],  # noqa: UP045
            "order_by": Annotated[Optional[list[Order]], _described(ORDER_BY)],  # type: ignore[valid-type]  # noqa: UP045
            "first": Annotated[Optional[int], _described(FIRST)],  # noqa: UP045
            "after": Annotated[Optional[str], _described(AFTER)],  # noqa: UP045
            "return": Connection[type_],  # type: ignore[valid-type]
        }
        return strawberry.field(resolver=resolve, description=description)

    def lookup_field(
        self, type_: type[RowType], key: str, key_type: Any, description: str
    ) -> StrawberryField:
        """``<type>(key: ...)``: one row by a unique field; null when missing or not visible."""
        factory = self

        async def resolve(info: strawberry.Info, value: Any) -> Any:
            spec = QuerySpec(where=Filter(key, "eq", value), window=Window(limit=1))
            details = field_details(info)
            objects, _ = await factory.page(info, type_, spec, details, with_total=False)
            return objects[0] if objects else None

        setattr(resolve, COMPILED_ROOT, ("one", type_, key))

        resolve.__annotations__ = {
            "info": strawberry.Info,
            "value": Annotated[
                key_type,
                strawberry.argument(name=to_camel_case(key), description=f"Its {key}."),
            ],
            "return": Optional[type_],  # type: ignore[valid-type]  # noqa: UP045
        }
        return strawberry.field(resolver=resolve, description=description)


def _described(description: str) -> Any:
    return strawberry.argument(description=description)


def window_arguments(where: type, order: type) -> dict[str, Any]:
    """The annotations of ``where``, ``orderBy``, ``limit`` and ``offset`` (on ``<where>``
    and ``<order>`` inputs): a root list's arguments and a to-many relation's."""
    return {
        "where": Annotated[Optional[where], _described(WHERE)],  # noqa: UP045
        "order_by": Annotated[Optional[list[order]], _described(ORDER_BY)],  # type: ignore[valid-type]  # noqa: UP045
        "limit": Annotated[Optional[int], _described(LIMIT)],  # noqa: UP045
        "offset": Annotated[int, _described(OFFSET)],
    }


def _default(info: strawberry.Info, size: Optional[int]) -> int:  # noqa: UP045
    return info.context.settings.max_page_size if size is None else size


__all__ = ["Connection", "Edge", "FieldFactory", "PageInfo"]
