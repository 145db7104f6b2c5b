"""BrainMaps' list parameters (seed 000) parsed into the shared query spec.

Every list endpoint names the parameters it takes; any other parameter is a 400 (a typo must
not silently widen a result). Values are checked by the spec's allowlist, so a wrong type is a
400 too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from starlette.datastructures import QueryParams

from gateway.errors import QueryError
from gateway.http.pagination import page_window
from resolvers.catalog import slug_of_scientific_name
from resolvers.query import AllOf, Filter, QuerySpec

DEFAULT_PAGE_SIZE = 20
PAGING = frozenset({"page", "page_size"})


@dataclass(frozen=True)
class ListParams:
    """A list endpoint's filters: query parameter -> (spec field, value as the field wants
    it), and the parameters compared without regard to case."""

    filters: Mapping[str, tuple[str, Callable[[str], str]]]
    searchable: bool = True
    iexact: frozenset[str] = frozenset()

    @property
    def allowed(self) -> frozenset[str]:
        return frozenset(self.filters) | PAGING | ({"search"} if self.searchable else set())


def _as_is(value: str) -> str:
    return value


# The category's name in any case (seed 000: ``?category=rodents``); the scientific name as
# ``Mus musculus`` or as its slug ``mus-musculus``.
CATEGORY_PARAMS = ListParams(filters={})
SPECIES_PARAMS = ListParams(
    filters={
        "category": ("category_name", str.strip),
        "scientific_name": ("scientific_name_slug", slug_of_scientific_name),
    },
    iexact=frozenset({"category"}),
)
BRAIN_PARAMS = ListParams(
    filters={
        "species": ("species_slug", slug_of_scientific_name),
        "verified": ("verified", _as_is),
        "uploader": ("uploader_id", _as_is),
        "category": ("category_name", str.strip),
    },
    iexact=frozenset({"category"}),
)


def list_spec(params: QueryParams, accepted: ListParams, *, max_page_size: int) -> QuerySpec:
    """The spec of a list request: its filters, its search text and its page."""
    unknown = sorted(set(params) - accepted.allowed)
    if unknown:
        allowed = ", ".join(sorted(accepted.allowed))
        raise QueryError(f"Unknown query parameter '{unknown[0]}'. Allowed: {allowed}.")
    filters = []
    for name, (field, convert) in accepted.filters.items():
        value = params.get(name)
        if value is not None and value != "":
            op = "iexact" if name in accepted.iexact else "eq"
            filters.append(Filter(field, op, convert(value)))
    search = (params.get("search") or "").strip() or None
    window = page_window(params, default_size=DEFAULT_PAGE_SIZE, max_size=max_page_size)
    return QuerySpec(where=AllOf(tuple(filters)) if filters else None, window=window, search=search)
